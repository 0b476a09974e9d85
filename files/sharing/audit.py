"""The download trail: one row per permitted download, written on the hot path.

`record()` is a single INSERT built from what the view already holds (the
file, the user, the link), so it adds no read.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone

from files.models import DownloadEvent, Folder, Link, UploadedFile
from portal.proxies import client_address


def via(response: HttpResponseBase, *, link: Link | None) -> str:
    if link is not None:
        return DownloadEvent.Via.LINK
    if response.status_code == 302:
        return DownloadEvent.Via.SIGNED
    return DownloadEvent.Via.DIRECT


def record(
    request: HttpRequest,
    upload: UploadedFile,
    response: HttpResponseBase,
    *,
    link: Link | None = None,
) -> None:
    """Note that `upload` left through `response`; a HEAD sends no bytes and is not noted."""
    if request.method != "GET" or response.status_code not in (200, 206, 302):
        return
    user = request.user if request.user.is_authenticated else None
    DownloadEvent.objects.create(
        file=upload,
        file_name=upload.name,
        owner_id=upload.owner_id,
        user=user,
        link=link,
        ip=client_address(request) or None,
        via=via(response, link=link),
    )


def record_zip(
    request: HttpRequest,
    *,
    owner_id: int,
    folder: Folder | None,
    archive_name: str,
    files: int,
    link: Link | None = None,
) -> None:
    """Note one ZIP download, whatever it held: one row, with the number of files.

    Called once the response is decided (200 or 206); a HEAD sends nothing.
    """
    if request.method != "GET":
        return
    user = request.user if request.user.is_authenticated else None
    DownloadEvent.objects.create(
        folder=folder,
        files_in_zip=files,
        file_name=archive_name,
        owner_id=owner_id,
        user=user,
        link=link,
        ip=client_address(request) or None,
        via=DownloadEvent.Via.LINK if link is not None else DownloadEvent.Via.DIRECT,
    )


def recent(upload: UploadedFile, limit: int = 10) -> list[DownloadEvent]:
    # A link is shown by its label or its item's name: join the item too.
    events = DownloadEvent.objects.filter(file=upload)
    return list(events.select_related("user", "link__file", "link__folder")[:limit])


def prune(older_than_days: int | None = None) -> int:
    """Delete entries older than the retention; how many went."""
    days = settings.PORTAL_AUDIT_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = DownloadEvent.objects.filter(created__lt=cutoff).delete()
    return deleted
