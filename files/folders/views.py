"""Folder pages: create, rename, move and delete folders; move files between them.

Each view is one POST action with its own URL and a plain-form GET page, so
everything works without JavaScript; the rules are in files/folders.py.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import FormView

from accounts.http import AuthenticatedRequest
from files import access
from files.folders import tree
from files.folders.forms import FolderNameForm, MoveFilesForm, MoveFolderForm
from files.models import Folder, UploadedFile
from portal.http import json_errors, wants_json


def folder_url(folder: Folder | None) -> str:
    return folder.get_absolute_url() if folder else reverse("files:list")


def counted(files: list[UploadedFile], folders: list[Folder]) -> str:
    """“notes.txt”, “3 files”, “2 folders”, “3 files and 1 folder”: what a message names."""
    items: list[UploadedFile | Folder] = [*files, *folders]
    if len(items) == 1:
        return items[0].name
    parts = [
        f"{len(group)} {noun}{'' if len(group) == 1 else 's'}"
        for group, noun in ((files, "file"), (folders, "folder"))
        if group
    ]
    return " and ".join(parts)


class WritableFolderMixin:
    """Looks up the folder in the URL among those the user may change: for anyone else, 404.

    Which folders those are depends on the action (files.access has the rules):
    an editor of a shared folder adds to it, and renames and moves what is
    inside it (between the folders of the share only); deleting stays the owner's.
    """

    request: HttpRequest
    kwargs: dict[str, Any]

    def folders_in_scope(self) -> QuerySet[Folder]:
        return access.writable_folders(self.request.user)

    def get_folder(self) -> Folder:
        folders = self.folders_in_scope().select_related("owner")
        return get_object_or_404(folders, pk=self.kwargs["pk"])


class FolderActionMixin(WritableFolderMixin):
    """An action on the folder in the URL (rename, move, delete), found before anything else."""

    folder: Folder

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.folder = self.get_folder()
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class FolderCreateView(WritableFolderMixin, FormView):
    """/files/folders/new/ (top level) and /files/folders/<uuid>/new/ (inside a folder)."""

    request: AuthenticatedRequest

    form_class = FolderNameForm
    template_name = "files/folder_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.parent = self.get_folder() if "pk" in kwargs else None
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        where = f"in “{self.parent.name}”" if self.parent else "at the top level"
        return super().get_context_data(
            title=f"New folder {where}", button="Create", back=folder_url(self.parent), **kwargs
        )

    def form_valid(self, form: FolderNameForm) -> HttpResponse:
        owner = self.parent.owner if self.parent else self.request.user
        try:
            folder = tree.create_folder(owner, self.parent, form.cleaned_data["name"])
        except ValidationError as error:
            form.add_error("name", error)
            return self.form_invalid(form)
        messages.success(self.request, f"Created folder {folder.name}.")
        return HttpResponseRedirect(folder_url(self.parent))


class FolderRenameView(FolderActionMixin, FormView):
    form_class = FolderNameForm
    template_name = "files/folder_form.html"

    def folders_in_scope(self) -> QuerySet[Folder]:
        return access.movable_folders(self.request.user)

    def get_initial(self) -> dict[str, Any]:
        return {"name": self.folder.name}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            title=f"Rename “{self.folder.name}”",
            button="Rename",
            back=folder_url(self.folder),
            **kwargs,
        )

    def form_valid(self, form: FolderNameForm) -> HttpResponse:
        old_name = self.folder.name
        try:
            tree.rename_folder(self.folder, form.cleaned_data["name"])
        except ValidationError as error:
            self.folder.name = old_name
            form.add_error("name", error)
            return self.form_invalid(form)
        message = f"Renamed {old_name} to {self.folder.name}."
        # The list renames in place (static/list.js): the name as stored, no page.
        if wants_json(self.request):
            return JsonResponse({"name": self.folder.name, "message": message})
        messages.success(self.request, message)
        return HttpResponseRedirect(folder_url(self.folder))

    def form_invalid(self, form: FolderNameForm) -> HttpResponse:
        return json_errors(form) if wants_json(self.request) else super().form_invalid(form)


class FolderMoveView(FolderActionMixin, FormView):
    form_class = MoveFolderForm
    template_name = "files/folder_form.html"

    request: AuthenticatedRequest

    def folders_in_scope(self) -> QuerySet[Folder]:
        # An editor moves what is inside the shared folder, never the shared folder.
        return access.movable_folders(self.request.user)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "folder": self.folder, "user": self.request.user}

    def get_initial(self) -> dict[str, Any]:
        return {"target": str(self.folder.parent_id or "")}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            title=f"Move “{self.folder.name}”",
            button="Move",
            back=folder_url(self.folder),
            **kwargs,
        )

    def form_valid(self, form: MoveFolderForm) -> HttpResponse:
        target: Folder | None = form.cleaned_data["target"]
        try:
            tree.move_folder(self.folder, target, by=self.request.user)
        except ValidationError as error:
            form.add_error("target", error)
            return self.form_invalid(form)
        where = f"“{target.name}”" if target else "the top level"
        messages.success(self.request, f"Moved {self.folder.name} to {where}.")
        return HttpResponseRedirect(folder_url(self.folder))


class MoveFilesView(FormView):
    """POST /files/move/: the list's selection (`selected` files, `selected_folders`) into `target`.

    The form lives on the list and file pages, so there is no page of its own:
    a refusal goes back to where the form was, as a message. All or nothing:
    one refused item leaves every other where it was.
    """

    request: AuthenticatedRequest
    form_class = MoveFilesForm
    http_method_names = ["post"]

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form: MoveFilesForm) -> HttpResponse:
        target: Folder | None = form.cleaned_data["target"]
        files, folders = form.cleaned_data["selected"], form.cleaned_data["selected_folders"]
        try:
            with transaction.atomic():
                if files:
                    tree.move_files(self.request.user, [f.pk for f in files], target)
                for folder in folders:
                    tree.move_folder(folder, target, by=self.request.user)
        except ValidationError as error:
            form.add_error("target", error)
            return self.form_invalid(form)
        where = f"“{target.name}”" if target else "the top level"
        messages.success(self.request, f"Moved {counted(list(files), list(folders))} to {where}.")
        return HttpResponseRedirect(folder_url(target))

    def form_invalid(self, form: MoveFilesForm) -> HttpResponse:
        for errors in form.errors.as_data().values():
            for error in errors:
                for message in error.messages:
                    messages.error(self.request, message)
        back = self.request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={self.request.get_host()}):
            back = reverse("files:list")
        return HttpResponseRedirect(back)
