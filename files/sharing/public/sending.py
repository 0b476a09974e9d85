"""The bytes a link gives: a file's download, its inline preview, a folder's ZIP."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render

from files import access, delivery
from files.delivery import zip as zip_delivery
from files.folders import archive
from files.models import Link
from files.scanning.pages import withheld_page
from files.sharing import audit, grants
from files.sharing.public.base import LinkView


class LinkDownloadView(LinkView):
    """/s/<token>/download/<file>/: sends a file the link shows, counting the download.

    Every GET that sends bytes uses one download, a Range request too (a resumed
    download counts again); HEAD sends none and counts none. A link with a
    limit is never answered with a signed URL, which could be fetched again
    without passing the count.
    """

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, file: str, **kwargs: Any) -> HttpResponseBase:
        link = self.link
        upload = get_object_or_404(access.files_via_link(link), pk=file)
        reason = access.withheld(upload, request.user)
        if reason is not None:
            # Before counting: a file being checked uses none of the link's downloads.
            return withheld_page(request, upload, reason)
        if request.method == "GET" and not grants.count_download(link):
            # Another visitor took the last download since this request began.
            return render(
                request, "links/gone.html", {"link": link, "reason": "exhausted"}, status=410
            )
        response = delivery.serve(request, upload, reusable=link.download_limit is None)
        audit.record(request, upload, response, link=link)
        return response


class LinkPreviewView(LinkView):
    """/s/<token>/preview/<file>/: the inline bytes of a link's image, PDF, audio or video.

    Checked like the link's download (a closed link is 410, a locked one 403,
    bytes the scanner withholds get its page) but counts nothing and records
    nothing, like the owner's previews; a link with a download limit has
    none (access.link_shows_previews).
    """

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, file: str, **kwargs: Any) -> HttpResponseBase:
        upload = get_object_or_404(access.previews_via_link(self.link), pk=file)
        reason = access.withheld(upload, request.user)
        if reason is not None:
            return withheld_page(request, upload, reason)
        if not upload.previewable:
            raise Http404("This file has no preview.")
        return delivery.serve(request, upload, inline=True)


class LinkZipView(LinkView):
    """/s/<token>/zip/: the link's folder and everything below it as one ZIP ("Download all").

    Like a file's download: one use of a limited link per GET, a Range request
    too; one audit row for the archive.
    """

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        link = self.link
        folder = link.folder
        if link.kind != Link.Kind.DOWNLOAD or folder is None:
            raise Http404("This link has no folder to download.")
        contents = archive.collect(
            folder,
            access.folders_via_link(link),
            access.sendable(access.files_via_link(link), request.user),
        )
        if request.method == "GET" and not grants.count_download(link):
            return render(
                request, "links/gone.html", {"link": link, "reason": "exhausted"}, status=410
            )
        filename = f"{folder.name}.zip"

        def note() -> None:
            audit.record_zip(
                request, owner_id=folder.owner_id, folder=folder, archive_name=filename,
                files=contents.files, link=link,
            )  # fmt: skip

        return zip_delivery.send(request, contents.entries, filename=filename, on_sent=note)
