"""The permission-checked thumbnail view that pages fall back to when URLs are not signed."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views import View
from django.views.generic.detail import SingleObjectMixin

from accounts.http import AuthenticatedRequest
from files import access, delivery
from files.models import UploadedFile
from files.previews.thumbnails import thumbnail_object


class ThumbnailView(SingleObjectMixin, View):
    """A file's thumbnail, to whoever may read the file; 404 while it has none."""

    request: AuthenticatedRequest
    http_method_names = ["get", "head"]

    def get_queryset(self) -> QuerySet[UploadedFile]:
        return access.readable_files(self.request.user)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        upload = self.get_object()
        # A thumbnail is never made of a withheld file; one made before (a
        # replaced file now pending again) is not sent either.
        if not upload.thumbnail or access.withheld(upload, request.user):
            raise Http404("This file has no thumbnail.")
        return delivery.send(request, thumbnail_object(upload), inline=True)
