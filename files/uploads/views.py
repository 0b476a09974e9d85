"""The upload door of the browser: the form and the script-driven uploader (JSON).

It hands the files to files.uploads.intake and only translates its typed
errors: a form error, a JSON `{"errors": [...]}`, or the 503 page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.generic import FormView

from accounts.http import AuthenticatedRequest
from accounts.models import User
from files import access
from files.folders import tree
from files.models import Folder, UploadedFile
from files.uploads import intake, quota
from files.uploads.forms import UploadForm
from files.uploads.intake import StoreUnavailable
from portal.http import json_errors, wants_json


def upload_url(folder: Folder | None) -> str:
    if folder is None:
        return reverse("files:upload")
    return reverse("files:folder-upload", args=[folder.pk])


class UploadView(FormView):
    """POST one or several files into the top level or a folder.

    A browser's form gets a redirect with a message; the script-driven
    uploader (static/uploader.js, one request per file) asks for JSON and
    gets 201 with the stored file, or 4xx with each error's message and code.
    """

    request: AuthenticatedRequest
    form_class = UploadForm
    template_name = "files/upload.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.folder: Folder | None = None
        if "pk" in kwargs:
            writable = access.writable_folders(request.user).select_related("owner")
            self.folder = get_object_or_404(writable, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    @property
    def owner(self) -> User:
        # Everything in a folder belongs to the folder's owner, whoever uploads it.
        return self.folder.owner if self.folder else self.request.user

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "owner": self.owner, "uploader": self.request.user}

    def get_success_url(self) -> str:
        return self.folder.get_absolute_url() if self.folder else reverse("files:list")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            folder=self.folder,
            breadcrumb=tree.ancestors(self.folder, self.request.user) if self.folder else [],
            usage=quota.usage_for(self.request.user, self.owner),
            max_upload_size=settings.PORTAL_MAX_UPLOAD_SIZE,
            max_file_size=settings.PORTAL_MAX_FILE_SIZE,  # through the uploader (tus)
            upload_url=upload_url(self.folder),
            **kwargs,
        )

    def form_valid(self, form: UploadForm) -> HttpResponse:
        sent = [f.name for f in form.cleaned_data["file"]]
        started = timezone.now()
        try:
            stored = intake.store_uploads(
                self.owner,
                form.cleaned_data["file"],
                self.folder,
                directory=form.cleaned_data["directory"],
                on_conflict=form.cleaned_data["on_conflict"],
                by=self.request.user,
            )
        except ValidationError as error:
            # The locked quota re-check lost a race with another upload, or a
            # file holds the name of a folder of `directory`.
            form.add_error(
                "file", error if self.owner == self.request.user else quota.worded_for_others(error)
            )
            return self.form_invalid(form)
        except StoreUnavailable:
            return store_unavailable(self.request, back=self.request.path)
        # A replaced file keeps its row (and its creation time): its bytes are new.
        replaced = {f.pk for f in stored if f.created < started}
        if wants_json(self.request):
            described = [
                {**describe(f, name), "replaced": f.pk in replaced}
                for f, name in zip(stored, sent, strict=True)
            ]
            return JsonResponse({"files": described}, status=201)
        if len(stored) == 1:
            messages.success(self.request, f"Uploaded {stored[0].name}.")
        else:
            messages.success(self.request, f"Uploaded {len(stored)} files.")
        for renamed in renamed_uploads(form.cleaned_data["file"], sent):
            messages.info(self.request, renamed)
        for f in stored:
            if f.pk in replaced:
                messages.info(
                    self.request, f"Replaced {f.name}: the previous one is kept as a version."
                )
        return super().form_valid(form)

    def form_invalid(self, form: UploadForm) -> HttpResponse:
        if not wants_json(self.request):
            return super().form_invalid(form)
        return json_errors(form)


def renamed_uploads(stored: list[UploadedFile], sent: list[str]) -> list[str]:
    """A sentence for each file stored under another name than it was sent with."""
    return [
        f"{name} was already taken there: stored as {f.name}."
        for f, name in zip(stored, sent, strict=True)
        if f.name != name
    ]


def describe(stored: UploadedFile, sent: str | None = None) -> dict[str, Any]:
    """A stored file as the uploader's JSON names it; `sent`: the name it came with."""
    return {
        "id": str(stored.pk),
        "name": stored.name,
        # What the file was sent as, when that name was taken and it got another.
        "sent_name": sent if sent is not None and sent != stored.name else None,
        "size": stored.size,
        "content_type": stored.content_type,
        "folder": str(stored.folder_id) if stored.folder_id else None,
        "url": stored.get_absolute_url(),
        "download_url": stored.get_download_url(),
    }


# How long a client should wait before trying the store again.
STORE_RETRY_AFTER = 60


def store_unavailable(request: HttpRequest, back: str) -> HttpResponse:
    """503 with Retry-After when the store did not take the bytes: nothing was saved.

    Every door that stores through the intake answers this way (HTML or JSON);
    Django removes the request's temporary files after the response.
    """
    message = "The file store did not answer in time, so nothing was saved. Try again in a minute."
    if wants_json(request):
        error = {"field": None, "message": message, "code": "store_unavailable"}
        response: HttpResponse = JsonResponse({"errors": [error]}, status=503)
    else:
        response = render(request, "files/store_unavailable.html", {"back": back}, status=503)
    response["Retry-After"] = str(STORE_RETRY_AFTER)
    return response
