from typing import Any

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import URLResolver, include, path
from django.urls.resolvers import RoutePattern
from django.utils.datastructures import MultiValueDict
from django.views.generic import RedirectView


class DeferredInclude(URLResolver):
    """include() of a namespaced URLconf by its module path, imported on its first use.

    include() imports the module at once; Django's resolver imports one named
    by its path on first use, as it does ROOT_URLCONF: a request under the
    route, a reverse() in the namespace, `manage.py check`. The one exception
    is the root's first reverse() of any name, which populates every child to
    gather its names: a namespaced child's names are reached through its
    namespace (reverse() reads its url_patterns, importing it then), so until
    its module is imported this one adds nothing to the root's. That step is
    URLResolver._populate, private to Django (5.2): portal/tests/test_wsgi.py
    fails if a page's reverse() imports the module again.
    """

    def __init__(self, route: str, module: str, namespace: str) -> None:
        super().__init__(
            RoutePattern(route, is_endpoint=False), module, app_name=namespace, namespace=namespace
        )

    def _imported(self) -> bool:
        return "url_patterns" in self.__dict__  # Django's cached_property, set on import

    def _populate(self) -> None:
        if self._imported():
            super()._populate()

    def _import(self) -> None:
        _ = self.url_patterns  # the module, imported once

    # Its own names and namespaces, asked for directly: import first.
    @property
    def reverse_dict(self) -> MultiValueDict[Any, Any]:
        self._import()
        return super().reverse_dict

    @property
    def namespace_dict(self) -> dict[str, tuple[str, URLResolver]]:
        self._import()
        return super().namespace_dict

    @property
    def app_dict(self) -> dict[str, list[str]]:
        self._import()
        return super().app_dict


# The admin's lists need the width: at 1280 px the app sidebar (300 px) beside
# the filters cut off the users' storage column and the files' last columns.
# The home page and the breadcrumbs lead to every list.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="files:list"), name="home"),
    path("accounts/", include("accounts.urls")),
    path("files/", include("files.urls")),
    # Public links: the anonymous surface, all of it in files/links.py.
    path("s/", include("files.sharing.public.urls")),
    # The REST API: token-only, JSON errors (files/api/). Imported on its first
    # use: DRF and drf-spectacular are 22 MiB a worker that serves only pages
    # and downloads never needs (docs/performance.md, "Worker memory").
    DeferredInclude("api/v1/", "files.api.urls", namespace="api"),
    # Staff sign in through the same two steps as everyone (password, then the
    # code): the admin's own login form would log in after the password alone.
    path(
        "admin/login/",
        login_not_required(RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    ),
    path("admin/", admin.site.urls),
]

handler400 = "portal.views.bad_request"
handler500 = "portal.views.server_error"
