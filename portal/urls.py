from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

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
    # The REST API: token-only, JSON errors (files/api/).
    path("api/v1/", include("files.api.urls")),
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
