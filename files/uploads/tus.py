"""The tus door: resumable uploads (tus 1.0.0) at /files/tus/.

Core protocol with the creation, creation-with-upload, termination,
expiration and checksum (sha1, sha256) extensions. A client POSTs the
length and metadata (`filename`, optional `folder` id, `directory`,
`filetype`, `on_conflict`), gets the upload's URL, and PATCHes bytes at the
offset HEAD tells it, in as many requests as it likes; the last byte hands
the file to the intake (files.uploads.resumable.complete), as every door.

Who: the browser's session (CSRF token in X-CSRFToken, as any state change)
or a personal access token (`Authorization: Bearer`, accounts.bearer);
a read-only token may only look; anyone else is sent to log in, as
everywhere. An upload is reached through files.access.continuable_uploads:
its creator's, a 404 for anyone else. This module only reads headers and
translates errors: tus's statuses
(409 offset, 460 checksum, 412 version, 415 content type) and the intake's
typed errors as `{"errors": [...]}` (413 too large or over quota).

A drop link's visitors speak the same protocol at /s/<token>/tus/
(files.sharing.public.drops.LinkTusView): that door subclasses this view and
overrides the hooks marked "a door's" below (who may continue, where a new
upload goes, how refusals are worded, what completion writes).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any, cast
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from django.views import View

from files import access
from files.folders import tree
from files.models import Folder, ResumableUpload, UploadedFile
from files.uploads import quota, resumable
from files.uploads.intake import ON_CONFLICT, OnConflict, StoreUnavailable
from files.uploads.tasks import expire_uploads
from files.uploads.views import STORE_RETRY_AFTER

VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,termination,expiration,checksum"
# hashlib names, as Upload-Checksum spells them; each costs ~2 ms per MiB.
CHECKSUMS = {"sha1": 20, "sha256": 32}
CHUNK_TYPE = "application/offset+octet-stream"
EXPIRY_RUN_EVERY = 3600  # seconds between two expiry runs queued by new uploads
# The intake's codes that are no 400; "link_closed": a drop link closed while its upload ran.
STATUS_OF_CODE = {"too_large": 413, "over_quota": 413, "link_closed": 410}
# Creation at the collection's URL; the rest at an upload's.
COLLECTION_METHODS = ("options", "post")
UPLOAD_METHODS = ("options", "head", "patch", "delete")


class Refused(Exception):
    def __init__(self, status: int, message: str, code: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.field = status, message, code, field


def refusal(status: int, message: str, code: str, field: str | None = None) -> JsonResponse:
    error = {"field": field, "message": message, "code": code}
    return JsonResponse({"errors": [error]}, status=status)


def parse_metadata(header: str) -> dict[str, str]:
    """Upload-Metadata: `key base64(value)` pairs separated by commas; a value may be absent."""
    metadata: dict[str, str] = {}
    for pair in header.split(","):
        if not pair.strip():
            continue
        key, _, encoded = pair.strip().partition(" ")
        if not key or key in metadata:
            raise Refused(400, "Upload-Metadata names a key twice or none.", "bad_metadata")
        try:
            metadata[key] = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as error:
            raise Refused(
                400, f"Upload-Metadata {key} is no base64 UTF-8.", "bad_metadata"
            ) from error
    return metadata


def parse_number(request: HttpRequest, header: str) -> int:
    value = request.headers.get(header, "")
    if not value.isdigit() or len(value) > 20:  # isdigit: no sign, no spaces
        raise Refused(400, f"{header} must be a number of bytes.", "bad_header", header)
    return int(value)


def parse_checksum(request: HttpRequest) -> tuple[str, bytes] | None:
    header = request.headers.get("Upload-Checksum")
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm not in CHECKSUMS:
        raise Refused(400, f"Checksums: {', '.join(CHECKSUMS)}.", "bad_checksum", "Upload-Checksum")
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error as error:
        raise Refused(400, "Upload-Checksum is no base64.", "bad_checksum") from error
    if len(digest) != CHECKSUMS[algorithm]:
        raise Refused(400, "Upload-Checksum has the wrong length.", "bad_checksum")
    return algorithm, digest


def refused(error: ValidationError) -> Refused:
    code = error.code or "invalid"
    status = STATUS_OF_CODE.get(code, 400)
    return Refused(status, " ".join(error.messages), code, "file")


def store_unavailable() -> JsonResponse:
    message = "The file store did not answer in time. Try again in a minute."
    response = refusal(503, message, "store_unavailable")
    response["Retry-After"] = str(STORE_RETRY_AFTER)
    return response


class TusView(View):
    """OPTIONS and POST (creation) on /files/tus/; HEAD, PATCH, DELETE on an upload's URL."""

    http_method_names = ["options", "post", "head", "patch", "delete"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = self.checked(request, *args, **kwargs)
        except Refused as refused:
            response = refusal(refused.status, refused.message, refused.code, refused.field)
        response["Tus-Resumable"] = VERSION
        if response.status_code == 412:
            response["Tus-Version"] = VERSION
        return response

    def checked(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Signed in (session or token): LoginRequiredMiddleware sent anyone else to log in.
        # (The drop link's door is open to anyone: it found an open drop link first.)
        method = (request.method or "").lower()
        allowed = UPLOAD_METHODS if "pk" in kwargs else COLLECTION_METHODS
        if method not in allowed:
            return HttpResponseNotAllowed([m.upper() for m in allowed])
        if method == "options":
            return super().dispatch(request, *args, **kwargs)
        # Absent, the client names no version to refuse; another one is refused.
        if request.headers.get("Tus-Resumable", VERSION) != VERSION:
            raise Refused(412, f"This server speaks tus {VERSION}.", "tus_version")
        token = getattr(request, "token", None)
        if token is not None and token.read_only and request.method != "HEAD":
            raise Refused(403, "This token may only read.", "read_only")
        return super().dispatch(request, *args, **kwargs)

    def options(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = HttpResponse(status=204)
        response["Tus-Version"] = VERSION
        response["Tus-Extension"] = EXTENSIONS
        response["Tus-Max-Size"] = str(settings.PORTAL_MAX_FILE_SIZE)
        response["Tus-Checksum-Algorithm"] = ",".join(CHECKSUMS)
        return response

    # A door's hooks: the signed-in user's, here.

    numbered_folders = False  # a name clash in `directory`: refused, as the upload form does

    def continuable(self) -> QuerySet[ResumableUpload]:
        """The uploads this request may look at, continue or end."""
        return access.continuable_uploads(self.request.user)

    def begin(self, metadata: dict[str, str], length: int, directory: str) -> ResumableUpload:
        """A new upload of `length` bytes, as `metadata` asks: into the `folder` the user names."""
        folder = self.folder(metadata.get("folder"))
        on_conflict = metadata.get("on_conflict", "keep_both")
        if on_conflict not in ON_CONFLICT:
            message = f"on_conflict is one of {', '.join(ON_CONFLICT)}."
            raise Refused(400, message, "bad_on_conflict", "on_conflict")
        try:
            return resumable.create(
                self.request.user,  # type: ignore[arg-type]  # authenticated: checked()
                folder,
                metadata.get("filename", ""),
                length,
                directory=directory,
                on_conflict=cast(OnConflict, on_conflict),  # one of ON_CONFLICT
            )
        except ValidationError as error:
            if folder is not None and folder.owner_id != self.request.user.pk:
                # An editor filling someone else's folder: told it is full, not the quota.
                raise quota.worded_for_others(error) from None
            raise

    def upload_url(self, upload: ResumableUpload) -> str:
        return reverse("files:tus-upload", args=[upload.pk])

    def worded(self, error: ValidationError) -> ValidationError:
        """The intake's refusal in words for whoever sent the request."""
        return error

    def still_allowed(self, upload: ResumableUpload) -> bool:
        """Whether the upload may go on: the user may still write into its folder.

        The folder may have been unshared since: the upload ends with the right to it.
        """
        if upload.folder_id is None:
            return True
        return access.writable_folders(self.request.user).filter(pk=upload.folder_id).exists()

    def record(self, upload: ResumableUpload) -> resumable.Record | None:
        """What the completion writes with the file (resumable.complete); nothing here."""
        return None

    def describe(self, response: HttpResponse, stored: UploadedFile, sent: str) -> None:
        """What the file became, for the uploader ("Uploaded as report (1).pdf")."""
        response["Portal-File-Id"] = str(stored.pk)
        response["Portal-File-Name"] = quote(stored.name)
        response["Portal-File-Url"] = stored.get_absolute_url()
        if stored.name != sent:
            response["Portal-Sent-Name"] = quote(sent)

    def upload(self, pk: uuid.UUID) -> ResumableUpload:
        found = (
            self.continuable()
            .filter(pk=pk, expires__gt=timezone.now())
            .select_related("owner", "folder")
            .first()
        )
        if found is None:
            raise Refused(404, "No such upload.", "not_found")
        return found

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "Upload-Defer-Length" in request.headers:
            raise Refused(
                400, "Send Upload-Length: deferred lengths are not supported.", "bad_header"
            )
        length = parse_number(request, "Upload-Length")
        if length > settings.PORTAL_MAX_FILE_SIZE:
            raise Refused(413, "Larger than Tus-Max-Size.", "too_large", "Upload-Length")
        metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
        directory = metadata.get("directory", "")
        if len(directory) > 1024:
            raise Refused(400, "directory is too long.", "bad_directory", "directory")
        body_size = self.body_size(request)
        try:
            # Its folders' names now, not after the last byte (ensure_path checks them again).
            for part in filter(None, directory.split("/")):
                tree.check_folder_name(part)
            upload = self.begin(metadata, length, directory)
        except ValidationError as error:
            raise refused(self.worded(error)) from error
        except StoreUnavailable:
            return store_unavailable()
        if cache.add("portal:tus-expiry", 1, timeout=EXPIRY_RUN_EVERY):
            transaction.on_commit(expire_uploads.enqueue, robust=True)
        response = HttpResponse(status=201)
        response["Location"] = request.build_absolute_uri(self.upload_url(upload))
        if body_size or not length:
            # creation-with-upload; and an empty file is complete as it is created.
            self.receive(request, upload, 0, body_size, response)
        else:
            response["Upload-Offset"] = "0"
        response["Upload-Expires"] = http_date(upload.expires.timestamp())
        return response

    def folder(self, raw: str | None) -> Folder | None:
        if not raw:
            return None
        try:
            folder_id = uuid.UUID(raw)
        except ValueError as error:
            raise Refused(404, "No such folder.", "not_found", "folder") from error
        writable = access.writable_folders(self.request.user).select_related("owner")
        folder = writable.filter(pk=folder_id).first()
        if folder is None:
            raise Refused(404, "No such folder.", "not_found", "folder")
        return folder

    def body_size(self, request: HttpRequest) -> int:
        raw = request.META.get("CONTENT_LENGTH") or ""
        if not raw:
            if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
                raise Refused(411, "Send Content-Length.", "length_required")
            return 0
        if not raw.isdigit():
            raise Refused(400, "Content-Length must be a number.", "bad_header")
        size = int(raw)
        # Some clients send no Content-Type with an empty body (the last PATCH of a retry).
        if size and request.content_type != CHUNK_TYPE:
            raise Refused(415, f"Send the bytes as {CHUNK_TYPE}.", "bad_content_type")
        if size > settings.PORTAL_MAX_UPLOAD_SIZE:
            raise Refused(413, "Send smaller chunks: one request is too large.", "too_large")
        return size

    def head(self, request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
        upload = self.upload(pk)
        response = HttpResponse(status=200)
        response["Upload-Offset"] = str(upload.offset)
        response["Upload-Length"] = str(upload.length)
        response["Upload-Expires"] = http_date(upload.expires.timestamp())
        response["Cache-Control"] = "no-store"
        return response

    def patch(self, request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
        upload = self.upload(pk)
        offset = parse_number(request, "Upload-Offset")
        size = self.body_size(request)
        if offset != upload.offset:
            raise Refused(409, f"The upload is at {upload.offset}.", "offset", "Upload-Offset")
        if offset + size > upload.length:
            raise Refused(400, "More bytes than Upload-Length.", "past_length")
        if not self.still_allowed(upload):
            resumable.terminate(upload)
            raise Refused(404, "No such upload.", "not_found")
        response = HttpResponse(status=204)
        self.receive(request, upload, offset, size, response)
        return response

    def receive(
        self,
        request: HttpRequest,
        upload: ResumableUpload,
        offset: int,
        size: int,
        response: HttpResponse,
    ) -> None:
        """PATCH's work (and POST's, with a body): the bytes, then the answer's headers."""
        try:
            stored = resumable.receive(
                upload,
                offset,
                request,
                size,
                parse_checksum(request),
                self.record(upload),
                numbered_folders=self.numbered_folders,
            )
        except resumable.Conflict as error:
            raise Refused(409, "Another request is writing this upload.", "busy") from error
        except resumable.ChecksumMismatch as error:
            raise Refused(460, "The bytes do not match Upload-Checksum.", "checksum") from error
        except resumable.Vanished as error:
            raise Refused(404, "No such upload.", "not_found") from error
        except ValidationError as error:
            raise refused(self.worded(error)) from error
        except StoreUnavailable as error:
            raise Refused(503, "The file store did not answer.", "store_unavailable") from error
        response["Upload-Offset"] = str(upload.offset)
        response["Upload-Expires"] = http_date(upload.expires.timestamp())
        if stored is not None:
            self.describe(response, stored, upload.name)

    def delete(self, request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
        resumable.terminate(self.upload(pk))
        return HttpResponse(status=204)
