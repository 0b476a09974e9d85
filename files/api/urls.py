"""/api/v1/: the REST API's routes, its schema and its docs page.

Its namespace, "api", is given where portal/urls.py mounts it: that module
imports this one (and with it DRF) only on first use.

Every view is `login_not_required`: a script has no session, and the API
answers 401 itself (files.api.auth), never the sign-in page's redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from files.api import sharing, views


def api(view: Any, **initkwargs: Any) -> Any:
    return login_not_required(view.as_view(**initkwargs))


urlpatterns = [
    path("files/", api(views.FileListView), name="file-list"),
    path("files/<str:pk>/", api(views.FileDetailView), name="file-detail"),
    path("files/<str:pk>/download/", api(views.FileDownloadView), name="file-download"),
    path("folders/", api(views.FolderListView), name="folder-list"),
    path("folders/<str:pk>/", api(views.FolderDetailView), name="folder-detail"),
    path("folders/<str:pk>/contents/", api(views.FolderContentsView), name="folder-contents"),
    path("shares/", api(sharing.ShareListView), name="share-list"),
    path("shares/<str:pk>/", api(sharing.ShareDetailView), name="share-detail"),
    path("shared-with-me/", api(sharing.SharedWithMeView), name="shared-with-me"),
    path("links/", api(sharing.LinkListView), name="link-list"),
    path("links/<str:pk>/", api(sharing.LinkDetailView), name="link-detail"),
    # The schema and its docs page are public: they describe the API, they hold no one's data.
    path(
        "schema/",
        api(SpectacularAPIView, permission_classes=[], authentication_classes=[]),
        name="schema",
    ),  # fmt: skip
    path(
        "docs/",
        api(
            SpectacularSwaggerSplitView,
            url_name="api:schema",
            template_name="api/swagger_ui.html",
            metadata_class=None,  # OPTIONS is a 405 here: DRF's metadata has no HTML page (a 500)
            permission_classes=[],
            authentication_classes=[],
        ),
        name="docs",
    ),
]
