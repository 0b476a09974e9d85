"""What a link shows: a file's page, a folder's list, a file page inside a folder link."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from files import access
from files.models import Folder, Link, UploadedFile
from files.previews.preview import preview_of
from files.sharing.forms import DropForm
from files.sharing.public.base import LinkView
from files.sharing.public.drops import render_drop


class LinkPageView(LinkView):
    """/s/<token>/: a file's name, size and download button; a folder's list; a drop form."""

    http_method_names = ["get", "head"]
    is_front_page = True

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        link = self.link
        if link.kind == Link.Kind.DROP:
            return render_drop(request, link, self.token, DropForm(owner=link.item.owner))
        if link.folder is not None:
            return render_folder(request, link, self.token, link.folder)
        upload = get_object_or_404(access.files_via_link(link))
        return render_file(request, link, self.token, upload)


class LinkFileView(LinkView):
    """/s/<token>/file/<file>/: the page of a file below a folder link, with its preview."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, file: str, **kwargs: Any) -> HttpResponse:
        upload = get_object_or_404(access.files_via_link(self.link), pk=file)
        return render_file(request, self.link, self.token, upload)


def render_file(request: HttpRequest, link: Link, token: str, upload: UploadedFile) -> HttpResponse:
    """A file's name, size, preview and download button, as the link's visitor may have them."""
    withheld = access.withheld(upload, request.user)
    # The owner's file page shows the same preview (files.previews), from the link's routes.
    previews = access.link_shows_previews(link)
    context = {
        "link": link,
        "upload": upload,
        "token": token,
        "withheld": withheld,
        "preview": preview_of(upload) if withheld is None and previews else None,
        "previews_off": withheld is None and not previews,
        "preview_url": reverse("links:preview", args=[token, upload.pk]),
        "download_url": reverse("links:download", args=[token, upload.pk]),
    }
    if link.folder is not None:
        # Back to the folder it is in, which the link shows (it is below the linked one).
        back = reverse("links:open", args=[token])
        if upload.folder_id != link.folder_id:
            back = reverse("links:folder", args=[token, upload.folder_id])
        context["folder_url"] = back
    return render(request, "links/file.html", context)


class LinkFolderView(LinkView):
    """/s/<token>/f/<folder>/: a folder below the linked one."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, folder: str, **kwargs: Any) -> HttpResponse:
        shown = get_object_or_404(access.folders_via_link(self.link), pk=folder)
        return render_folder(request, self.link, self.token, shown)


def render_folder(request: HttpRequest, link: Link, token: str, folder: Folder) -> HttpResponse:
    shown = access.folders_via_link(link)
    # The trail runs from the linked folder down to this one: nothing above it is named.
    ids = folder.path.strip("/").split("/")
    trail = sorted(shown.filter(pk__in=ids), key=lambda crumb: len(crumb.path))
    files = access.files_via_link(link).filter(folder=folder).order_by(Lower("name"), "pk")
    paginator = Paginator(files, settings.PORTAL_FILES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "links/folder.html",
        {
            "link": link,
            "token": token,
            "folder": folder,
            "breadcrumbs": trail,
            # Folders first, on the first page only, as in the owner's list.
            "subfolders": shown.filter(parent=folder) if page.number == 1 else [],
            "files": page.object_list,
            "page_obj": page,
            "paginator": paginator,
            "is_paginated": page.has_other_pages(),
        },
    )
