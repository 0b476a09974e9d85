"""Thumbnails as pages show them: the permission-checked thumbnail view."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from files import delivery
from files.previews.thumbnails import thumbnail_object
from files.views import DownloadView


class ThumbnailView(DownloadView):
    """A file's thumbnail, to whoever may read the file; 404 while it has none."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        upload = self.get_object()
        if not upload.thumbnail:
            raise Http404("This file has no thumbnail.")
        return delivery.send(request, thumbnail_object(upload), inline=True)
