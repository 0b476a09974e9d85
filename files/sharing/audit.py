"""The download trail: one row per permitted download, written on the hot path.

`record()` is a single INSERT built from what the view already holds (the
file, the user, the link), so it adds no read.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache, lru_cache
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Field
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


def permitted_insert(
    request: HttpRequest, upload: UploadedFile, response: HttpResponseBase
) -> tuple[str, list[object]] | None:
    """record()'s row for a user's permitted download, as one INSERT (SQL, parameters).

    For the download fast path (portal/fastpath.py), which runs it on the
    database driver's cursor before the response leaves, in autocommit: a
    download that got its answer has its row committed. The ORM's create()
    (model, signals, compiler) cost three times the statement itself
    (docs/performance.md). Each value is prepared by its field, as the ORM
    prepares it; the values that repeat from click to click (the file, the
    user, the address...) are prepared once. portal/tests/test_fastpath.py
    compares the rows field by field. None: a request record() would not note.
    """
    if request.method != "GET" or response.status_code not in (200, 206, 302):
        return None
    user = request.user
    using = DownloadEvent.objects.db
    connection = connections[using]
    sql, fields = _insert_statement(using, connection.vendor)
    row = _prepared_row(
        using,
        upload.pk,
        upload.name,
        upload.owner_id,
        user.pk if user.is_authenticated else None,
        client_address(request) or None,
        via(response, link=None),
    )
    # The time is new each time.
    return sql, [*row, fields[-1].get_db_prep_save(timezone.now(), connection)]


# The row but its time depends only on these values and the connection, and
# repeats from click to click: one cache lookup instead of one per field.
@lru_cache(maxsize=4096)
def _prepared_row(
    using: str,
    file_id: object,
    file_name: str,
    owner_id: int,
    user_id: int | None,
    ip: str | None,
    sent_via: str,
) -> tuple[object, ...]:
    connection = connections[using]
    _, fields = _insert_statement(using, connection.vendor)
    values = {
        "file_id": file_id,
        "file_name": file_name,
        "owner_id": owner_id,
        "user_id": user_id,
        "link_id": None,
        "folder_id": None,  # a single file, not a ZIP (record_zip)
        "files_in_zip": None,
        "ip": ip,
        "via": sent_via,
    }
    return tuple(field.get_db_prep_save(values[field.attname], connection) for field in fields[:-1])


@cache
def _insert_statement(using: str, vendor: str) -> tuple[str, list[Field[Any, Any]]]:
    qn = connections[using].ops.quote_name
    meta = DownloadEvent._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    # The time last: permitted_insert() prepares it apart.
    fields.sort(key=lambda field: field.attname == "created")
    columns = ", ".join(qn(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    # Only the model's own, quoted names; every value is a parameter.
    return f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({marks})", fields  # noqa: S608
