"""Pages of the trash and of versions: one POST action per URL, every lookup through files.access.

/files/trash/ lists the owner's trash; restore, delete forever and empty are
the owner's alone (anyone else: 404). Deleting a folder (its confirmation
page) lives here since it now sends the folder to the trash. A version is
restored by whoever may change the file; it downloads from files.views
(beside the file's download, with its audit row) for whoever may read it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.lookups import StartsWith
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from accounts.http import AuthenticatedRequest
from files import access
from files.folders import tree
from files.folders.views import FolderActionMixin, folder_url
from files.history import trash, versions
from files.models import FileVersion, Folder, UploadedFile
from portal.http import wants_json

TRASH_URL = "files:trash"


class FolderDeleteView(FolderActionMixin, TemplateView):
    """GET says what would go (folders, files, bytes); POST sends it all to the owner's trash.

    The owner's, or an editor's strictly inside a folder shared for editing.
    """

    request: AuthenticatedRequest
    template_name = "files/folder_confirm_delete.html"

    def folders_in_scope(self) -> QuerySet[Folder]:
        return access.deletable_folders(self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            folder=self.folder,
            contents=tree.contents(self.folder),
            is_owner=access.owns(self.request.user, self.folder),
            trash_days=settings.PORTAL_TRASH_DAYS,
            **kwargs,
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        parent = self.folder.parent
        trash.trash_folder(self.folder, by=self.request.user)
        if access.owns(self.request.user, self.folder):
            message = f"Moved folder {self.folder.name} to the trash."
        else:
            restorable = "its owner can restore it from the trash"
            message = f"Deleted folder {self.folder.name}: {restorable}."
        # The list deletes in place (static/list.js) and announces this itself.
        if wants_json(request):
            return JsonResponse({"message": message})
        messages.success(request, message)
        return HttpResponseRedirect(folder_url(parent))


class TrashView(TemplateView):
    """/files/trash/: the owner's trashed files and folders, newest first, with their sizes."""

    request: AuthenticatedRequest
    template_name = "history/trash.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        # A folder's size is what was below it: one subquery, not a query per folder.
        below = (
            UploadedFile.objects.filter(StartsWith(F("folder__path"), OuterRef("path")))
            .values("owner")
            .annotate(total=Sum("size"))
            .values("total")
        )
        folders = access.trashed_folders(user).annotate(size=Subquery(below))
        files = access.trashed_files(user)
        entries: list[UploadedFile | Folder] = sorted(
            [*files.select_related("trashed_by"), *folders.select_related("trashed_by")],
            key=lambda item: (item.trashed_at, str(item.pk)),
            reverse=True,
        )
        return super().get_context_data(
            entries=entries,
            trash_bytes=trash.trash_bytes(user.pk),
            trash_days=settings.PORTAL_TRASH_DAYS,
            **kwargs,
        )


class TrashItemView(View):
    """An action on the trash entry in the URL (`kind`: file or folder), among the user's own."""

    request: AuthenticatedRequest
    http_method_names = ["post"]

    def get_item(self, kind: str, pk: object) -> UploadedFile | Folder:
        user = self.request.user
        if kind == "file":
            return get_object_or_404(access.trashed_files(user), pk=pk)
        return get_object_or_404(access.trashed_folders(user), pk=pk)


class RestoreView(TrashItemView):
    """Puts a trash entry back in its place (the top level if that is gone)."""

    def post(self, request: HttpRequest, pk: object, kind: str) -> HttpResponse:
        restored = trash.restore(self.get_item(kind, pk))
        where = f"“{restored.place.name}”" if restored.place else "the top level"
        message = f"Restored {restored.item.name} to {where}"
        if restored.place_gone:
            message += ": its folder is no longer there"
        if restored.renamed:
            message += "; the name was taken there, so it got a number"
        messages.success(request, message + ".")
        return HttpResponseRedirect(reverse(TRASH_URL))


class PurgeView(TrashItemView):
    """Deletes a trash entry forever (a folder with everything that was below it)."""

    def post(self, request: HttpRequest, pk: object, kind: str) -> HttpResponse:
        item = self.get_item(kind, pk)
        trash.purge(item)
        messages.success(request, f"Deleted {item.name} forever.")
        return HttpResponseRedirect(reverse(TRASH_URL))


class EmptyTrashView(View):
    """Deletes everything in the signed-in user's trash forever."""

    request: AuthenticatedRequest
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        trash.empty(self.request.user)
        messages.success(request, "Emptied the trash.")
        return HttpResponseRedirect(reverse(TRASH_URL))


def version_of(files: QuerySet[UploadedFile], pk: object, version: object) -> FileVersion:
    """The version `version` of file `pk`, the file looked up among `files` (else 404)."""
    upload = get_object_or_404(files, pk=pk)
    return get_object_or_404(upload.versions.select_related("file"), pk=version)


class VersionRestoreView(View):
    """Makes a version current again, for whoever may change the file."""

    request: AuthenticatedRequest
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: object, version: object) -> HttpResponse:
        found = version_of(access.writable_files(self.request.user), pk, version)
        restored = versions.restore(found)
        messages.success(
            request, f"Restored the version of {found.modified:%Y-%m-%d %H:%M} of {restored.name}."
        )
        return HttpResponseRedirect(restored.get_absolute_url())
