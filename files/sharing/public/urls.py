"""/s/<token>/...: the anonymous link routes (portal/urls.py includes them)."""

from __future__ import annotations

from django.urls import path

from files.sharing.public.base import LinkUnlockView
from files.sharing.public.drops import LinkDropView, LinkTusView
from files.sharing.public.pages import LinkFileView, LinkFolderView, LinkPageView
from files.sharing.public.sending import LinkDownloadView, LinkPreviewView, LinkZipView

app_name = "links"

urlpatterns = [
    path("<str:token>/", LinkPageView.as_view(), name="open"),
    path("<str:token>/unlock/", LinkUnlockView.as_view(), name="unlock"),
    path("<str:token>/f/<uuid:folder>/", LinkFolderView.as_view(), name="folder"),
    path("<str:token>/file/<uuid:file>/", LinkFileView.as_view(), name="file"),
    path("<str:token>/download/<uuid:file>/", LinkDownloadView.as_view(), name="download"),
    path("<str:token>/preview/<uuid:file>/", LinkPreviewView.as_view(), name="preview"),
    path("<str:token>/zip/", LinkZipView.as_view(), name="zip"),
    path("<str:token>/drop/", LinkDropView.as_view(), name="drop"),
    # Resumable drops (tus): create here, then HEAD/PATCH/DELETE the upload's URL.
    path("<str:token>/tus/", LinkTusView.as_view(), name="tus"),
    path("<str:token>/tus/<uuid:pk>/", LinkTusView.as_view(), name="tus-upload"),
]
