from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import OrderBy
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views import View
from django.views.generic import CreateView, DeleteView, ListView, UpdateView
from django.views.generic.detail import SingleObjectMixin

from accounts.http import AuthenticatedRequest
from files import delivery
from files.forms import RenameForm, UploadForm
from files.models import UploadedFile, UploadedFileQuerySet
from files.services import StoreUnavailable

# ?sort= value -> ORDER BY; the tie-breakers keep pages stable.
SORT_ORDERS: dict[str, tuple[str | OrderBy, ...]] = {
    "name": (Lower("name").asc(), "created"),
    "-name": (Lower("name").desc(), "-created"),
    "size": ("size", "created"),
    "-size": ("-size", "-created"),
    "created": ("created",),
    "-created": ("-created",),
}
DEFAULT_SORT = "-created"


class OwnedFileMixin:
    """Scopes a file view to the signed-in user's own files: anyone else gets 404."""

    request: HttpRequest

    def get_queryset(self) -> UploadedFileQuerySet:
        return UploadedFile.objects.owned_by(self.request.user)


class FileListView(OwnedFileMixin, ListView):
    request: AuthenticatedRequest
    template_name = "files/list.html"
    context_object_name = "files"

    def get_paginate_by(self, queryset: Any) -> int:
        return settings.PORTAL_FILES_PER_PAGE

    def get_queryset(self) -> UploadedFileQuerySet:
        files = super().get_queryset()
        if self.query:
            files = files.filter(name__icontains=self.query)
        return files.order_by(*SORT_ORDERS[self.sort], "pk")

    @property
    def query(self) -> str:
        return self.request.GET.get("q", "").strip()

    @property
    def sort(self) -> str:
        sort = self.request.GET.get("sort", DEFAULT_SORT)
        return sort if sort in SORT_ORDERS else DEFAULT_SORT

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        return super().get_context_data(
            query=self.query,
            sort=self.sort,
            storage_used=user.storage_used(),
            quota=user.effective_quota(),
            **kwargs,
        )


class UploadView(CreateView):
    request: AuthenticatedRequest
    model = UploadedFile
    form_class = UploadForm
    template_name = "files/upload.html"
    success_url = reverse_lazy("files:list")

    def get_form_kwargs(self) -> dict[str, Any]:
        # The owner is never a form field: it is whoever is signed in.
        return {**super().get_form_kwargs(), "instance": UploadedFile(owner=self.request.user)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(max_upload_size=settings.PORTAL_MAX_UPLOAD_SIZE, **kwargs)

    def form_valid(self, form: UploadForm) -> HttpResponse:
        try:
            stored = form.save()
        except StoreUnavailable:
            # Nothing was saved; Django removes the temporary files after the response.
            response = render(self.request, "files/store_unavailable.html", status=503)
            response["Retry-After"] = "60"
            return response
        if len(stored) == 1:
            messages.success(self.request, f"Uploaded {stored[0].name}.")
        else:
            messages.success(self.request, f"Uploaded {len(stored)} files.")
        return HttpResponseRedirect(self.success_url)


class FileDetailView(OwnedFileMixin, UpdateView):
    """A file's page; POST renames it."""

    form_class = RenameForm
    template_name = "files/detail.html"
    context_object_name = "upload"

    def form_valid(self, form: RenameForm) -> HttpResponse:
        messages.success(self.request, f"Renamed to {form.instance.name}.")
        return super().form_valid(form)


class FileDeleteView(OwnedFileMixin, DeleteView):
    template_name = "files/confirm_delete.html"
    context_object_name = "upload"
    success_url = reverse_lazy("files:list")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, f"Deleted {self.object.name}.")
        return super().form_valid(form)


class DownloadView(SingleObjectMixin, View):
    """Sends a file to anyone allowed to read it; to everyone else it does not exist."""

    request: AuthenticatedRequest
    http_method_names = ["get", "head"]
    inline = False  # the preview URL sets this: allowed only for content-checked types

    def get_queryset(self) -> UploadedFileQuerySet:
        return UploadedFile.objects.readable_by(self.request.user)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        upload = self.get_object()
        if self.inline and not upload.previewable:
            raise Http404("This file has no preview.")
        return delivery.serve(request, upload, inline=self.inline)
