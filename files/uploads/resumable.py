"""Resumable uploads (tus): where an unfinished upload's bytes go, and digests that resume.

Nothing lives in one process or on one app server's disk: after each PATCH
the upload's row holds its offset, the state of its sha256, sha1 and CRC-32,
and (S3) its multipart upload and parts, so any app server takes the next one.

**Digests.** hashlib objects cannot be pickled, and rehashing what is stored
would read a 50 GiB file again at every PATCH that lands on another server.
The row keeps OpenSSL's own SHA256_CTX and SHA_CTX instead (112 and 96 bytes,
the layouts of OpenSSL's public <openssl/sha.h>, stable since 0.9.8), driven
through ctypes at hashlib's speed (same 2 ms per MiB: one C call per 1 MiB
read). A Python without a usable libcrypto keeps no state (None), and the
completion reads the stored bytes back once to digest them.

**Local storage.** Chunks are appended to `tus/<upload-id>` under the storage
root (never a path from the user); completion moves the file to its key by
rename. **S3.** A multipart upload to the final key `u/<owner>/<file-id>` is
created with the upload; each PATCH sends full parts (at least 5 MiB, S3's
minimum) as the bytes arrive, and what is left over, under a part, waits in a
small object `tus/<upload-id>/<offset>` until the next PATCH; completion
completes the multipart upload, so the file never moves or gets copied.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import hashlib
import io
import logging
import os
import struct
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, Protocol, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, default_storage
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from files import contract
from files.models import Folder, Link, ResumableUpload, UploadedFile
from files.uploads import intake
from files.uploads.intake import KEEP_BOTH, OnConflict, StoreUnavailable, store_errors

logger = logging.getLogger(__name__)

# The area of the storage where unfinished uploads live (beside u/, never under it).
AREA = "tus"
# S3's smallest part but the last; and its largest number of parts.
MIN_PART = 5 * 1024 * 1024
MAX_PARTS = 10_000
PART_SIZE = 8 * 1024 * 1024  # what an upload of up to 80 GB uses (as the one-request upload)

_SHA256_CTX = 112
_SHA_CTX = 96
_STATE = struct.Struct(f">4s{_SHA256_CTX}s{_SHA_CTX}sI")
_MAGIC = b"pd1\0"


@functools.cache
def _libcrypto() -> Any | None:
    """OpenSSL's libcrypto, when it has the SHA functions and agrees with hashlib."""
    found = ctypes.util.find_library("crypto")
    if not found:
        return None
    try:
        lib = ctypes.CDLL(found)
        for name in ("SHA256", "SHA1"):
            for step in ("Init", "Update", "Final"):
                getattr(lib, f"{name}_{step}").restype = ctypes.c_int
            getattr(lib, f"{name}_Update").argtypes = [
                ctypes.c_void_p,
                ctypes.c_char_p,
                ctypes.c_size_t,
            ]
    except (OSError, AttributeError):
        return None
    probe = _Ctx(lib, "SHA256", _SHA256_CTX)
    probe.update(b"abc")
    if probe.digest(32) != hashlib.sha256(b"abc").digest():
        return None
    return lib


class _Ctx:
    """One OpenSSL hash context in a buffer of its struct's size: its bytes are its state."""

    def __init__(self, lib: Any, name: str, size: int, state: bytes | None = None) -> None:
        self.lib, self.name = lib, name
        self.buffer = ctypes.create_string_buffer(size)
        if state is None:
            getattr(lib, f"{name}_Init")(self.buffer)
        else:
            ctypes.memmove(self.buffer, state, size)

    def update(self, data: bytes) -> None:
        getattr(self.lib, f"{self.name}_Update")(self.buffer, data, len(data))

    def digest(self, size: int) -> bytes:
        copy = ctypes.create_string_buffer(self.buffer.raw, len(self.buffer))
        out = ctypes.create_string_buffer(size)
        getattr(self.lib, f"{self.name}_Final")(out, copy)
        return out.raw

    @property
    def state(self) -> bytes:
        return self.buffer.raw


class ResumableDigests:
    """sha256, sha1 and CRC-32 (as handler.Digests) whose state can be saved and resumed."""

    def __init__(self, state: bytes | None = None, *, fresh: bool = False) -> None:
        lib = _libcrypto()
        self.lost = lib is None or (state is None and not fresh)
        self.crc32 = 0
        if self.lost or lib is None:
            return
        sha256 = sha1 = None
        if state is not None:
            magic, sha256, sha1, self.crc32 = _STATE.unpack(state)
            if magic != _MAGIC:
                raise ValueError("not a digest state")
        self._sha256 = _Ctx(lib, "SHA256", _SHA256_CTX, sha256)
        self._sha1 = _Ctx(lib, "SHA1", _SHA_CTX, sha1)

    def update(self, data: bytes) -> None:
        if self.lost:
            return
        self._sha256.update(data)
        self._sha1.update(data)
        self.crc32 = zlib.crc32(data, self.crc32)

    @property
    def state(self) -> bytes | None:
        if self.lost:
            return None
        return _STATE.pack(_MAGIC, self._sha256.state, self._sha1.state, self.crc32)

    @property
    def sha256(self) -> str:
        return self._sha256.digest(32).hex()

    @property
    def sha1(self) -> str:
        return self._sha1.digest(20).hex()


class Readable(Protocol):
    """A request's body, read as it arrives (never request.body, which holds it all)."""

    def read(self, size: int = -1, /) -> bytes: ...


class Chunks(Protocol):
    """Where an unfinished upload's bytes go, for one kind of storage."""

    def begin(self, upload: ResumableUpload) -> None: ...
    def write(self, upload: ResumableUpload, data: Iterator[bytes]) -> int: ...
    def place(self, upload: ResumableUpload) -> str: ...
    def discard(self, upload: ResumableUpload) -> None: ...
    def forget(self, upload: ResumableUpload, previous_offset: int) -> None: ...
    def open_placed(self, key: str) -> IO[bytes]: ...


def final_key(upload: ResumableUpload) -> str:
    return contract.storage_key(upload.owner_id, upload.file_id)


class LocalChunks:
    """Append to `tus/<id>` under the storage root; completion renames it to its key."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def path(self, upload: ResumableUpload) -> Path:
        root = Path(self.storage.path("")).resolve()
        path = Path(self.storage.path(f"{AREA}/{upload.pk}")).resolve()
        if not path.is_relative_to(root):  # defence in depth: the id is a UUID
            raise ValueError(f"{path} is outside the storage root")
        return path

    def begin(self, upload: ResumableUpload) -> None:
        path = self.path(upload)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()

    def write(self, upload: ResumableUpload, data: Iterator[bytes]) -> int:
        written = 0
        with open(self.path(upload), "r+b") as file:
            # Bytes past the offset were written by a PATCH that never recorded them.
            file.truncate(upload.offset)
            file.seek(upload.offset)
            try:
                for chunk in data:
                    file.write(chunk)
                    written += len(chunk)
            finally:
                file.flush()
                os.fsync(file.fileno())
        return written

    def place(self, upload: ResumableUpload) -> str:
        key = final_key(upload)
        target = Path(self.storage.path(key))
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path(upload), target)
        target.chmod(settings.FILE_UPLOAD_PERMISSIONS or 0o644)
        return key

    def discard(self, upload: ResumableUpload) -> None:
        self.path(upload).unlink(missing_ok=True)

    def forget(self, upload: ResumableUpload, previous_offset: int) -> None:
        """Nothing to forget: the file only grows."""

    def open_placed(self, key: str) -> IO[bytes]:
        return self.storage.open(key, "rb")


class S3Chunks:
    """A multipart upload to the final key; a short tail waits in `tus/<id>/<offset>`."""

    def __init__(self, storage: Any) -> None:
        self.storage = storage
        self.client = storage.connection.meta.client
        self.bucket = storage.bucket_name

    @staticmethod
    def part_size(length: int) -> int:
        needed = -(-length // (MAX_PARTS - 1))
        mib = 1024 * 1024
        return max(PART_SIZE, -(-needed // mib) * mib)

    def tail_key(self, upload: ResumableUpload, offset: int) -> str:
        return f"{AREA}/{upload.pk}/{offset}"

    def begin(self, upload: ResumableUpload) -> None:
        upload.part_size = self.part_size(upload.length)
        answer = self.client.create_multipart_upload(Bucket=self.bucket, Key=final_key(upload))
        upload.multipart_id = answer["UploadId"]

    def _tail_start(self, upload: ResumableUpload) -> int:
        return len(upload.parts) * upload.part_size

    def write(self, upload: ResumableUpload, data: Iterator[bytes]) -> int:
        start = self._tail_start(upload)
        buffer = bytearray()
        if upload.offset > start:
            answer = self.client.get_object(
                Bucket=self.bucket, Key=self.tail_key(upload, upload.offset)
            )
            buffer += answer["Body"].read()
        parts = list(upload.parts)
        written = 0
        try:
            for chunk in data:
                buffer += chunk
                written += len(chunk)
                while len(buffer) >= upload.part_size:
                    parts.append(
                        self._send_part(upload, len(parts) + 1, bytes(buffer[: upload.part_size]))
                    )
                    del buffer[: upload.part_size]
        finally:
            end = upload.offset + written
            if end == upload.length and (buffer or not parts):
                parts.append(self._send_part(upload, len(parts) + 1, bytes(buffer)))
            elif buffer:
                self.client.put_object(
                    Bucket=self.bucket, Key=self.tail_key(upload, end), Body=bytes(buffer)
                )
            upload.parts = parts
        return written

    def _send_part(self, upload: ResumableUpload, number: int, body: bytes) -> dict[str, Any]:
        answer = self.client.upload_part(
            Bucket=self.bucket,
            Key=final_key(upload),
            UploadId=upload.multipart_id,
            PartNumber=number,
            Body=body,
        )
        return {"n": number, "etag": answer["ETag"]}

    def forget(self, upload: ResumableUpload, previous_offset: int) -> None:
        """Once the new offset is recorded: the tail the PATCH started from is spent."""
        if previous_offset:
            self.client.delete_object(
                Bucket=self.bucket, Key=self.tail_key(upload, previous_offset)
            )

    def place(self, upload: ResumableUpload) -> str:
        key = final_key(upload)
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            UploadId=upload.multipart_id,
            MultipartUpload={
                "Parts": [{"PartNumber": p["n"], "ETag": p["etag"]} for p in upload.parts]
            },
        )
        return key

    def open_placed(self, key: str) -> IO[bytes]:
        """The object as a seekable file read in ranges: the head for sniffing costs one GET.

        django-storages' S3File would download the whole object first (into
        memory, as AWS_S3_MAX_MEMORY_SIZE is 0): 1.1 GB of a worker for 1 GiB.
        """
        size = self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
        raw = RangeReader(self.client, self.bucket, key, size)
        return io.BufferedReader(raw, buffer_size=READ_CHUNK)

    def discard(self, upload: ResumableUpload) -> None:
        if upload.multipart_id:
            try:
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=final_key(upload), UploadId=upload.multipart_id
                )
            except self.client.exceptions.NoSuchUpload:
                pass
        listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix=f"{AREA}/{upload.pk}/")
        for item in listed.get("Contents", []):
            self.client.delete_object(Bucket=self.bucket, Key=item["Key"])


class RangeReader(io.RawIOBase):
    """A read-only, seekable view of an S3 object, fetched in HTTP ranges as read."""

    def __init__(self, client: Any, bucket: str, key: str, size: int) -> None:
        self.client, self.bucket, self.key, self.size = client, bucket, key, size
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self.size - self.position)
        if wanted <= 0:
            return 0
        last = self.position + wanted - 1
        answer = self.client.get_object(
            Bucket=self.bucket, Key=self.key, Range=f"bytes={self.position}-{last}"
        )
        data = answer["Body"].read()
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def chunks_for(storage: Storage = default_storage) -> LocalChunks | S3Chunks:
    if hasattr(storage, "bucket_name"):
        return S3Chunks(storage)
    return LocalChunks(storage)


# The lifecycle: what the tus door calls. Each raises the intake's typed errors.

# How long a PATCH holds its upload, renewed while bytes keep coming: a worker
# killed mid-PATCH blocks the upload this long at most.
LEASE = timedelta(seconds=90)
RENEW_EVERY = 30.0  # seconds
READ_CHUNK = 1024 * 1024  # as HashingUploadHandler: 1 MiB reads


# What a door writes (or checks) in the transaction that stores the file, as
# store_uploads' `record`: a drop link's Drop row, after its link is found still open.
Record = Callable[[list[UploadedFile]], object]


class Conflict(Exception):
    """The offset sent is not the upload's, or another PATCH holds it (409)."""


class ChecksumMismatch(Exception):
    """The body did not match its Upload-Checksum: nothing of it was kept (460)."""


class Vanished(Exception):
    """The upload was terminated or expired while this request ran (404)."""


def expiry() -> datetime:
    return timezone.now() + timedelta(hours=settings.PORTAL_UPLOAD_EXPIRY_HOURS)


def create(
    creator: User | None,
    folder: Folder | None,
    name: str,
    length: int,
    directory: str = "",
    on_conflict: OnConflict = KEEP_BOTH,
    *,
    link: Link | None = None,
    visitor: str = "",
    dropped_by: str = "",
) -> ResumableUpload:
    """A new upload of `length` bytes, its length reserved against the owner's quota.

    `creator` None: a drop link's visitor, whose upload is `link`'s and
    `visitor`'s (the hash of their link session's secret); `folder` is then
    the link's. Raises ValidationError (bad_name, too_large, over_quota) or
    StoreUnavailable.
    """
    name = intake.check_name(name)
    intake.check_size(name, length, settings.PORTAL_MAX_FILE_SIZE)
    owner = folder.owner if folder is not None else creator
    if owner is None or (creator is None and not visitor):
        raise ValueError("an upload has a creator, or a visitor and a folder")
    upload = ResumableUpload(
        owner=owner,
        creator=creator,
        link=link,
        visitor=visitor,
        dropped_by=dropped_by,
        folder=folder,
        directory=directory,
        name=name,
        on_conflict=on_conflict,
        length=length,
        digest_state=ResumableDigests(fresh=True).state,
        expires=expiry(),
    )
    intake.reserve(owner, length, upload.save)
    chunks = chunks_for()
    try:
        chunks.begin(upload)
    except store_errors() as error:
        upload.delete()
        raise StoreUnavailable(str(error)) from error
    upload.save(update_fields=["multipart_id", "part_size"])
    return upload


def receive(
    upload: ResumableUpload,
    offset: int,
    body: Readable,
    size: int,
    checksum: tuple[str, bytes] | None = None,
    record: Record | None = None,
    *,
    numbered_folders: bool = False,
) -> UploadedFile | None:
    """Append `size` bytes of `body` at `offset`; the stored file when they complete the upload.

    A body cut short keeps what arrived (the client asks HEAD where to go on),
    unless it had a checksum. `record` and `numbered_folders`: the door's, for
    the completion (complete). Raises Conflict, ChecksumMismatch, Vanished,
    StoreUnavailable, and the intake's ValidationErrors at completion.
    """
    now = timezone.now()
    free = Q(busy_until__isnull=True) | Q(busy_until__lt=now)
    held = ResumableUpload.objects.filter(free, pk=upload.pk, offset=offset)
    if not held.update(busy_until=now + LEASE):
        raise Conflict
    upload.refresh_from_db()
    digests = ResumableDigests(upload.digest_state)
    check = hashlib.new(checksum[0], usedforsecurity=False) if checksum else None
    cut_short = False

    def stream() -> Iterator[bytes]:
        nonlocal cut_short
        left, renewed = size, time.monotonic()
        while left > 0:
            try:
                chunk = body.read(min(READ_CHUNK, left))
            except Exception:  # the client went away: any reading error is that
                chunk = b""
            if not chunk:
                cut_short = True
                return
            left -= len(chunk)
            digests.update(chunk)
            if check is not None:
                check.update(chunk)
            yield chunk
            if time.monotonic() - renewed > RENEW_EVERY:
                renewed = time.monotonic()
                lease = timezone.now() + LEASE
                ResumableUpload.objects.filter(pk=upload.pk).update(busy_until=lease)

    chunks = chunks_for()
    try:
        written = chunks.write(upload, stream())
        if checksum is not None and check is not None:
            if cut_short or check.digest() != checksum[1]:
                raise ChecksumMismatch
    except BaseException as error:
        ResumableUpload.objects.filter(pk=upload.pk).update(busy_until=None)
        if isinstance(error, store_errors()):
            raise StoreUnavailable(str(error)) from error
        raise
    upload.offset = offset + written
    upload.digest_state = digests.state
    upload.expires = expiry()
    finished = upload.finished
    recorded = ResumableUpload.objects.filter(pk=upload.pk).update(
        offset=upload.offset,
        digest_state=upload.digest_state,
        parts=upload.parts,
        expires=upload.expires,
        # The last PATCH keeps holding it while it completes.
        busy_until=now + LEASE if finished else None,
    )
    if not recorded:
        chunks.discard(upload)
        raise Vanished
    _quietly(chunks.forget, upload, offset)
    if finished:
        return complete(upload, record, numbered_folders=numbered_folders)
    return None


def complete(
    upload: ResumableUpload, record: Record | None = None, *, numbered_folders: bool = False
) -> UploadedFile:
    """Hand the finished upload to the intake: the file appears, the reservation goes.

    With the upload's `on_conflict`: "replace" puts the bytes into a file of
    that name (its previous bytes a version). A failure here (the store down,
    the folder gone, a ValidationError from `record`) ends the upload: its
    bytes are removed with it, as the intake leaves no bytes without a row.
    """
    chunks = chunks_for()
    digests = ResumableDigests(upload.digest_state)
    stored = UploadedFile(id=upload.file_id, name=upload.name, size=upload.length)
    directory = [part for part in upload.directory.split("/") if part]
    try:
        return intake.store_placed(
            upload.owner,
            stored,
            upload.folder,
            directory=directory,
            place=lambda: chunks.place(upload),
            open_placed=chunks.open_placed,
            digests=None if digests.lost else digests,
            release=lambda: ResumableUpload.objects.filter(pk=upload.pk).delete(),
            by=upload.creator,
            record=record,
            numbered_folders=numbered_folders,
            on_conflict=cast(OnConflict, upload.on_conflict),  # checked by the door
        )
    except (ValidationError, StoreUnavailable):
        terminate(upload)
        raise


def terminate(upload: ResumableUpload) -> None:
    """End the upload: its bytes go, its reservation with its row."""
    ResumableUpload.objects.filter(pk=upload.pk).delete()
    _quietly(chunks_for().discard, upload)


def expire(now: datetime | None = None) -> tuple[int, int]:
    """End the uploads past their expiry; complete the finished ones a dead worker left.

    Not a drop visitor's: its link's rules and Drop row are the link door's,
    which completes it when the visitor's client asks again (HEAD, then an
    empty PATCH); unasked, it expires. Returns (expired, completed).
    """
    now = now or timezone.now()
    expired = completed = 0
    idle = Q(busy_until__isnull=True) | Q(busy_until__lt=now)
    due = Q(expires__lt=now) | Q(offset=F("length"), visitor="")
    for upload in ResumableUpload.objects.filter(idle, due).select_related("owner", "folder"):
        if upload.finished and not upload.visitor:
            try:
                complete(upload)
                completed += 1
            except (ValidationError, StoreUnavailable):
                logger.warning("could not complete the finished upload %s", upload.pk)
        elif upload.expires < now:
            terminate(upload)
            expired += 1
    return expired, completed


def stale(now: datetime | None = None) -> list[ResumableUpload]:
    """Uploads that should be gone: past their expiry (the task has not run), or finished.

    A drop visitor's finished upload waits for its visitor until it expires (expire).
    """
    now = now or timezone.now()
    idle = Q(busy_until__isnull=True) | Q(busy_until__lt=now)
    finished = Q(idle, offset=F("length"), visitor="")
    return list(ResumableUpload.objects.filter(Q(expires__lt=now) | finished))


def leftovers(storage: Storage = default_storage) -> dict[str, list[str]]:
    """Keys under `tus/` that belong to no upload row: {upload id: keys}.

    A row is written before its bytes and removed before them, so bytes
    without a row are never an upload about to start: only what a failed
    removal (the store down at termination) left behind.
    """
    try:
        directories, files = storage.listdir(AREA)
    except FileNotFoundError:  # local storage before the first resumable upload
        return {}
    # Only upload ids: a store may list a folder's own marker (SeaweedFS: ".").
    found: dict[str, list[str]] = {name: [f"{AREA}/{name}"] for name in files if _is_id(name)}
    for name in filter(_is_id, directories):
        keys = [key for key in storage.listdir(f"{AREA}/{name}")[1] if key.isdigit()]
        found[name] = [f"{AREA}/{name}/{key}" for key in keys]
    live = {str(pk) for pk in ResumableUpload.objects.values_list("pk", flat=True)}
    # An empty folder is no bytes (SeaweedFS lists the folders of deleted objects).
    return {name: keys for name, keys in found.items() if keys and name not in live}


def _is_id(name: str) -> bool:
    try:
        return str(uuid.UUID(name)) == name
    except ValueError:
        return False


def _quietly(action: Any, *args: Any) -> None:
    try:
        action(*args)
    except store_errors():
        logger.warning("the store failed to %s for an upload", getattr(action, "__name__", action))
