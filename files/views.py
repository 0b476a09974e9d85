from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import OrderBy, QuerySet
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views import View
from django.views.generic import DeleteView, ListView, UpdateView
from django.views.generic.detail import SingleObjectMixin

from accounts.http import AuthenticatedRequest
from files import access, delivery
from files.folders import search, tree
from files.folders.forms import MoveFilesForm
from files.folders.search import HitsPaginator
from files.forms import RenameForm
from files.models import Folder, UploadedFile
from files.previews import preview
from files.sharing import audit
from files.uploads import intake, quota
from files.uploads.views import upload_url

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

    def get_queryset(self) -> QuerySet[UploadedFile]:
        return access.owned_files(self.request.user)


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
        return files.order_by(*SORT_ORDERS[self.sort], "pk")

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
        sort = self.request.GET.get("sort", DEFAULT_SORT)
        return sort if sort in SORT_ORDERS else DEFAULT_SORT

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
            usage=quota.usage(owner),
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
        return files.select_related("folder", "owner")

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
            recent_downloads=audit.recent(upload) if is_owner else [],
            shares=list(upload.shares.select_related("recipient")) if is_owner else [],
            preview=preview.preview_of(self.object),
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
        messages.success(self.request, f"Renamed to {self.object.name}.")
        return HttpResponseRedirect(self.get_success_url())


class FileDeleteView(OwnedFileMixin, DeleteView):
    template_name = "files/confirm_delete.html"
    context_object_name = "upload"

    def get_success_url(self) -> str:
        folder = self.object.folder
        return folder.get_absolute_url() if folder else reverse("files:list")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, f"Deleted {self.object.name}.")
        return super().form_valid(form)


class DownloadView(SingleObjectMixin, View):
    """Sends a file to anyone allowed to read it; to everyone else it does not exist."""

    request: AuthenticatedRequest
    http_method_names = ["get", "head"]
    inline = False  # the preview URL sets this: allowed only for content-checked types

    def get_queryset(self) -> QuerySet[UploadedFile]:
        return access.readable_files(self.request.user)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        upload = self.get_object()
        if self.inline and not upload.previewable:
            raise Http404("This file has no preview.")
        response = delivery.serve(request, upload, inline=self.inline)
        if not self.inline:
            # Previews are the file's own page showing it, not someone taking it away.
            audit.record(request, upload, response)
        return response
