from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views import View
from django.views.generic import DeleteView, ListView, UpdateView
from django.views.generic.detail import SingleObjectMixin

from accounts.http import AuthenticatedRequest
from files import access, delivery
from files.delivery import zip as zip_delivery
from files.delivery.objects import StoredObject
from files.folders import archive, search, tree
from files.folders.forms import MoveFilesForm
from files.folders.search import HitsPaginator
from files.forms import RenameForm
from files.history import trash
from files.history import views as history_views
from files.models import Folder, UploadedFile
from files.previews import preview
from files.scanning.pages import withheld_page
from files.sharing import audit
from files.uploads import intake, quota
from files.uploads.views import upload_url
from portal.http import json_errors, wants_json

VIEW_MODES = ("table", "grid")


class FolderListView(ListView):
    """/files/ (the top level) and /files/folders/<uuid>/: subfolders, then a page of files.

    With ?q= it searches names in the folder and everything below it (the whole
    account at the top level). The queries are the same for ten files or
    ten thousand: no per-row lookups, the breadcrumb in one query.
    """

    request: AuthenticatedRequest
    template_name = "files/list.html"
    context_object_name = "files"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.folder = self.get_folder()
        return super().get(request, *args, **kwargs)

    def get_folder(self) -> Folder | None:
        if "pk" not in self.kwargs:
            return None
        visible = access.readable_folders(self.request.user).select_related("owner")
        return get_object_or_404(visible, pk=self.kwargs["pk"])

    def get_paginate_by(self, queryset: Any) -> int:
        return settings.PORTAL_FILES_PER_PAGE

    def get_queryset(self) -> QuerySet[UploadedFile]:
        user, folder = self.request.user, self.folder
        if folder is None:
            files = access.owned_files(user)
            files = files if self.query else files.filter(folder=None)
        else:
            files = access.readable_files(user)
            if self.query:
                # An IN (subquery) rather than a join: the planners then start
                # from the folder index instead of scanning all the owner's files.
                subtree = Folder.objects.filter(path__startswith=folder.path).values("pk")
                files = files.filter(folder__in=subtree)
            else:
                files = files.filter(folder=folder)
        if self.query:
            # Results come from several folders: say which, without a query per row.
            files = files.filter(name__icontains=self.query).select_related("folder")
        return files.order_by(*search.SORT_ORDERS[self.sort], "pk")

    def get_paginator(
        self,
        queryset: Any,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
        **kwargs: Any,
    ) -> Paginator:
        paginator = HitsPaginator if self.query else Paginator
        return paginator(queryset, per_page, orphans, allow_empty_first_page, **kwargs)

    def get_subfolders(self) -> QuerySet[Folder]:
        user, folder = self.request.user, self.folder
        if self.query:
            below = access.readable_folders(user) if folder else access.owned_folders(user)
            if folder is not None:
                below = below.filter(path__startswith=folder.path).exclude(pk=folder.pk)
            return below.filter(name__icontains=self.query)
        if folder is None:
            return access.owned_folders(user).filter(parent=None)
        return access.readable_folders(user).filter(parent=folder)

    @property
    def query(self) -> str:
        return search.normalise(self.request.GET.get("q", ""))

    @property
    def sort(self) -> str:
        sort = self.request.GET.get("sort", search.DEFAULT_SORT)
        return sort if sort in search.SORT_ORDERS else search.DEFAULT_SORT

    @property
    def view_mode(self) -> str:
        mode = self.request.GET.get("view", VIEW_MODES[0])
        return mode if mode in VIEW_MODES else VIEW_MODES[0]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user, folder = self.request.user, self.folder
        writable = folder is None or access.writable_folders(user).filter(pk=folder.pk).exists()
        owner = folder.owner if folder else user
        context = super().get_context_data(
            folder=folder,
            breadcrumb=tree.ancestors(folder, user) if folder else [],
            query=self.query,
            sort=self.sort,
            view_mode=self.view_mode,
            writable=writable,
            can_manage=folder is not None
            and access.movable_folders(user).filter(pk=folder.pk).exists(),
            is_owner=folder is None or access.owns(user, folder),
            shares=list(folder.shares.select_related("recipient"))
            if folder and access.owns(user, folder)
            else [],
            usage=quota.usage_for(user, owner),
            max_upload_size=settings.PORTAL_MAX_UPLOAD_SIZE,
            max_file_size=settings.PORTAL_MAX_FILE_SIZE,  # through the uploader (tus)
            upload_url=upload_url(folder),
            **kwargs,
        )
        page = context["page_obj"]
        # Folders come before the files, on the first page only.
        first = page is None or page.number == 1
        context["subfolders"] = list(self.get_subfolders()) if first else []
        if writable:
            # An editor is offered the folders of the share only (files.access.move_targets).
            context["move_form"] = MoveFilesForm(user=user, owner=owner, at=folder)
        return context


class FileDetailView(UpdateView):
    """A file's page for anyone who may read it; POST renames it, for those who may write it."""

    request: AuthenticatedRequest
    form_class = RenameForm
    template_name = "files/detail.html"
    context_object_name = "upload"

    def get_queryset(self) -> QuerySet[UploadedFile]:
        if self.request.method == "POST":
            files = access.writable_files(self.request.user)
        else:
            files = access.readable_files(self.request.user)
        return files.select_related("folder", "owner", "uploaded_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user, upload = self.request.user, self.object
        folder = upload.folder
        is_owner = access.owns(user, upload)
        can_rename = access.writable_files(user).filter(pk=upload.pk).exists()
        # Whoever may change the file may move it, within what files.access allows.
        move_form = (
            MoveFilesForm(
                user=user,
                owner=upload.owner,
                at=folder,
                initial={"selected": [upload.pk], "target": str(folder.pk) if folder else ""},
            )
            if can_rename
            else None
        )
        return super().get_context_data(
            breadcrumb=[*tree.ancestors(folder, user), folder] if folder else [],
            move_form=move_form,
            is_owner=is_owner,
            can_rename=can_rename,
            can_delete=access.deletable_files(user).filter(pk=upload.pk).exists(),
            versions=list(upload.versions.select_related("uploaded_by")),
            recent_downloads=audit.recent(upload) if is_owner else [],
            shares=list(upload.shares.select_related("recipient")) if is_owner else [],
            # No preview of bytes this reader may not be sent (files.scanning).
            preview=None if access.withheld(upload, user) else preview.preview_of(upload),
            **kwargs,
        )

    def form_valid(self, form: RenameForm) -> HttpResponse:
        # The ModelForm has set the new name on the instance already: the
        # service decides whether it may keep it.
        wanted = form.instance.name
        form.instance.name = form.initial["name"]
        try:
            intake.rename_file(self.object, wanted)
        except ValidationError as error:
            form.add_error("name", error)
            return self.form_invalid(form)
        message = f"Renamed to {self.object.name}."
        # The list renames in place (static/list.js): the name as stored, no page.
        if wants_json(self.request):
            return JsonResponse({"name": self.object.name, "message": message})
        messages.success(self.request, message)
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form: RenameForm) -> HttpResponse:
        return json_errors(form) if wants_json(self.request) else super().form_invalid(form)


class FileDeleteView(DeleteView):
    """Sends a file to its owner's trash: the owner's, or an editor's inside a share."""

    request: AuthenticatedRequest
    template_name = "files/confirm_delete.html"
    context_object_name = "upload"

    def get_queryset(self) -> QuerySet[UploadedFile]:
        return access.deletable_files(self.request.user)

    def get_success_url(self) -> str:
        folder = self.object.folder
        return folder.get_absolute_url() if folder else reverse("files:list")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(trash_days=settings.PORTAL_TRASH_DAYS, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        success_url = self.get_success_url()
        trash.trash_file(self.object, by=self.request.user)
        if access.owns(self.request.user, self.object):
            message = f"Moved {self.object.name} to the trash."
        else:
            message = f"Deleted {self.object.name}: its owner can restore it from the trash."
        # The list deletes in place (static/list.js) and announces this itself.
        if wants_json(self.request):
            return JsonResponse({"message": message})
        messages.success(self.request, message)
        return HttpResponseRedirect(success_url)


class DownloadView(SingleObjectMixin, View):
    """Sends a file to anyone allowed to read it; to everyone else it does not exist."""

    request: AuthenticatedRequest
    http_method_names = ["get", "head"]
    inline = False  # the preview URL sets this: allowed only for content-checked types

    def get_queryset(self) -> QuerySet[UploadedFile]:
        return access.readable_files(self.request.user)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        upload = self.get_object()
        reason = access.withheld(upload, request.user)
        if reason is not None:
            return withheld_page(request, upload, reason)
        if self.inline and not upload.previewable:
            raise Http404("This file has no preview.")
        response = delivery.serve(request, upload, inline=self.inline)
        if not self.inline:
            # Previews are the file's own page showing it, not someone taking it away.
            audit.record(request, upload, response)
        return response


class FolderZipView(View):
    """/files/folders/<uuid>/download/ (and /files/download/, the whole account) as one ZIP.

    A folder the visitor may read, with whatever below it they may read
    (files.access); the top level is the visitor's own tree. /files/download/
    with `selected` (file ids) and `selected_folders` (folder ids), the list's
    selection, is those items only: each must be readable, else 404. The
    queries run before the first byte is sent, in autocommit: no transaction
    stays open while the archive streams. One audit row per archive, not per file.
    """

    request: AuthenticatedRequest
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, pk: Any = None) -> HttpResponseBase:
        user = self.request.user
        folder = None
        file_ids, folder_ids = (
            picked_ids(request, "selected"),
            picked_ids(request, "selected_folders"),
        )
        if pk is None and (file_ids or folder_ids):
            picked_files = access.readable_files(user).filter(pk__in=file_ids)
            picked_folders = list(access.readable_folders(user).filter(pk__in=folder_ids))
            if picked_files.count() != len(file_ids) or len(picked_folders) != len(folder_ids):
                raise Http404("No such file or folder.")
            contents = archive.collect_picked(
                picked_folders,
                access.sendable(picked_files, user),
                access.readable_folders(user),
                access.sendable(access.readable_files(user), user),
            )
            first = picked_folders[0] if picked_folders else picked_files[0]
            # Whose files these are: a selection is made on one folder's page, so one owner.
            name, owner_id = f"{user.get_username()}-selection", first.owner_id
        elif pk is not None:
            folder = get_object_or_404(access.readable_folders(user), pk=pk)
            contents = archive.collect(
                folder,
                access.readable_folders(user),
                access.sendable(access.readable_files(user), user),
            )
            name, owner_id = folder.name, folder.owner_id
        else:
            contents = archive.collect(
                None, access.owned_folders(user), access.sendable(access.owned_files(user), user)
            )
            name, owner_id = user.get_username(), user.id
        filename = f"{name}.zip"

        def note() -> None:
            audit.record_zip(
                request, owner_id=owner_id, folder=folder, archive_name=filename,
                files=contents.files,
            )  # fmt: skip

        return zip_delivery.send(request, contents.entries, filename=filename, on_sent=note)


def picked_ids(request: HttpRequest, field: str) -> set[uuid.UUID]:
    """The ids ticked in the list's selection; a malformed one is no file (404)."""
    try:
        return {uuid.UUID(value) for value in request.GET.getlist(field)}
    except ValueError:
        raise Http404("No such file or folder.") from None


class VersionDownloadView(View):
    """Sends an earlier version of a file to anyone who may read the file, as its download does.

    The same permission check, quarantine (on the version's own verdict),
    sending path and headers (the file's name), and a row in the file's
    download trail.
    """

    request: AuthenticatedRequest
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, pk: object, version: object) -> HttpResponseBase:
        found = history_views.version_of(access.readable_files(self.request.user), pk, version)
        reason = access.withheld(found, request.user)
        if reason is not None:
            return withheld_page(request, found.file, reason)
        kept = StoredObject(
            key=found.stored.name or "",
            size=found.size,
            content_type=found.content_type,
            name=found.file.name,
            etag=found.sha256,
            modified=found.modified,
        )
        response = delivery.send(request, kept)
        audit.record(request, found.file, response)
        return response
