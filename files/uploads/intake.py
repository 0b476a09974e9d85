"""The rules for an incoming file (name, size, quota) and the all-or-nothing store.

The browser form, the script-driven uploader, and later drop links, WebDAV
and the API all come through here, so none of them can skip a rule; forms
and views only turn the ValidationErrors into words for people.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from typing import IO, Protocol, TypeVar

from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile as Upload
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.models import User
from files import contract, names
from files.folders import tree
from files.models import Folder, ResumableUpload, UploadedFile
from files.names import clean_filename, unescape_form_filename
from files.previews.tasks import schedule_thumbnails
from files.signals import delete_after_commit, stored_keys
from files.uploads.content import HEAD_SIZE, detect_content_type
from files.uploads.handler import Digests, HashedUpload

logger = logging.getLogger(__name__)
# What the S3 backend raises when the store is down, slow or refuses us;
# boto3's transfer manager wraps a failed upload in a Boto3Error.
STORE_ERRORS = (BotoCoreError, ClientError, Boto3Error)


class StoreUnavailable(Exception):
    """The object store did not take the bytes: nothing was saved, try again later."""


def check_name(name: str) -> str:
    """`name` as stored: cleaned by files.filenames, refused when nothing is left."""
    cleaned = clean_filename(name)
    if not cleaned:
        raise ValidationError("A file needs a name.", code="bad_name")
    return cleaned


def check_size(name: str, size: int, limit: int | None = None) -> None:
    """`limit`: one request's (PORTAL_MAX_UPLOAD_SIZE) unless a resumable upload says more."""
    if limit is None:
        limit = settings.PORTAL_MAX_UPLOAD_SIZE
    if size > limit:
        raise ValidationError(
            "%(name)s is %(size)s; the largest file allowed is %(limit)s.",
            code="too_large",
            params={"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
        )


def accept_incoming(incoming: Upload, name: str | None = None) -> UploadedFile:
    """An unsaved UploadedFile for `incoming`, once its name and size pass.

    `name` defaults to the filename of the multipart header, with the
    browser's form escapes undone; a caller that has the name some other way
    (a WebDAV path) passes it.
    """
    if name is None:
        name = unescape_form_filename(incoming.name or "")
    name = check_name(name)
    check_size(name, incoming.size or 0)
    return describe_upload(incoming, name)


def describe_upload(incoming: Upload, name: str) -> UploadedFile:
    """An unsaved UploadedFile for `incoming`: name, size, content type and digests.

    HashingUploadHandler has digested the bytes while they arrived; only a
    file that came another way (a test, a script) is read here.
    """
    if isinstance(incoming, HashedUpload):
        digests, head = incoming.digests, incoming.head
    else:
        digests = Digests()
        for chunk in incoming.chunks():
            digests.update(chunk)
        incoming.seek(0)
        head = incoming.read(HEAD_SIZE)
    return UploadedFile(
        file=incoming,
        name=name,
        size=incoming.size or 0,
        content_type=detect_content_type(name, head, incoming),
        sha256=digests.sha256,
        sha1=digests.sha1,
        crc32=digests.crc32,
    )


def check_quota(owner: User, incoming_bytes: int) -> None:
    """Refuse `incoming_bytes` past the quota, counting what unfinished uploads reserved."""
    quota = owner.effective_quota()
    if quota is None:
        return
    used = owner.storage_used() + ResumableUpload.objects.reserved_by(owner.pk)
    if used + incoming_bytes > quota:
        raise ValidationError(
            "Not enough space: %(incoming)s would go past the quota of %(quota)s (%(free)s free).",
            code="over_quota",
            params={
                "incoming": filesizeformat(incoming_bytes),
                "quota": filesizeformat(quota),
                "free": filesizeformat(max(quota - used, 0)),
            },
        )


def store_uploads(
    owner: User,
    files: list[UploadedFile],
    folder: Folder | None = None,
    directory: Sequence[str] = (),
    record: Callable[[list[UploadedFile]], object] | None = None,
) -> list[UploadedFile]:
    """Save every file for `owner` into `folder` (None: the top level), or none of them.

    `directory` names folders below `folder` to put them in, created where
    missing: a dropped folder recreates its tree this way, one file at a time.
    `record` writes the door's own rows about the stored files (a drop link's
    Drop rows) in the same transaction: they commit with the files or not at all.

    A name already taken in the folder (by a file or a folder, ignoring case)
    is kept both ways, as Dropbox and Seafile do: the new file is stored as
    "name (1).ext", "name (2).ext"... (files.names); `stored.name` says which.

    The owner's row is locked so that two concurrent uploads cannot both pass
    the quota check nor pick the same free name (and so that two files of one
    dropped folder do not both create its subfolder); bytes already moved into
    storage are removed if anything fails, so a failed upload leaves neither a
    row, nor an orphaned file, nor an empty folder. Raises StoreUnavailable when the store fails
    (the view answers 503).

    The bytes are stored before the rows commit, so a row never exists without
    them. Call it outside any transaction of your own: one rolled back after
    ours would drop the rows and keep the bytes. (Not enforced with
    `durable=True`: the browser tests' live server shares one SQLite
    connection between its threads, so a concurrent upload looks nested.) A
    worker killed between the two leaves bytes without a row:
    `manage.py portal_fsck --repair` removes them.
    """
    if folder is not None and folder.owner_id != owner.pk:
        raise ValueError("a file belongs to the owner of its folder")
    saving: list[UploadedFile] = []  # the ones whose save() has begun
    try:
        with transaction.atomic():
            locked = names.lock_owner(owner.pk)
            check_quota(locked, sum(f.size for f in files))
            folder = tree.ensure_path(owner, folder, directory)
            for stored in files:
                stored.owner = owner
                stored.folder = folder
                saving.append(stored)
                _save_under_free_name(stored)
            if record is not None:
                record(files)
            schedule_thumbnails(files)
    except BaseException as error:
        for stored in saving:
            # _committed: the bytes reached storage, and file.name is now our key.
            if stored.file._committed:
                _remove_quietly(stored)
        if isinstance(error, STORE_ERRORS):
            raise StoreUnavailable(str(error)) from error
        raise
    return files


T = TypeVar("T")


def reserve(owner: User, size: int, record: Callable[[], T]) -> T:
    """Hold `size` bytes of `owner`'s quota for an upload to come: `record` writes the hold.

    Under the owner lock, as every upload: two reservations racing for the
    last free space cannot both get it. Raises ValidationError (over_quota).
    """
    with transaction.atomic():
        locked = names.lock_owner(owner.pk)
        check_quota(locked, size)
        return record()


class Digested(Protocol):
    """What is known of the bytes once they all arrived (handler.Digests and its kin)."""

    @property
    def sha256(self) -> str: ...
    @property
    def sha1(self) -> str: ...

    crc32: int


def store_placed(
    owner: User,
    stored: UploadedFile,
    folder: Folder | None,
    place: Callable[[], str],
    release: Callable[[], object],
    digests: Digested | None = None,
    directory: Sequence[str] = (),
    open_placed: Callable[[str], IO[bytes]] | None = None,
) -> UploadedFile:
    """Save `stored`, whose bytes a resumable upload already wrote, as store_uploads saves a file.

    `place()` puts the bytes at their key and returns it (a rename on disk,
    the completion of the S3 multipart upload): no copy. `release()` removes
    the upload's reservation in the same transaction, so the quota moves from
    reserved to used at once; the space was checked when it was reserved.
    The name is numbered on a clash, the content sniffed from the first bytes
    (and an image decoded), and the digests come from the upload, or are read
    back from storage when its process lost them (`digests` None), through
    `open_placed(key)` (default: storage.open; S3's would fetch the whole
    object into memory, the door passes a reader of byte ranges). If
    anything fails, the placed bytes are removed: no row without bytes, no
    bytes without a row. Raises ValidationError or StoreUnavailable.
    """
    if folder is not None and folder.owner_id != owner.pk:
        raise ValueError("a file belongs to the owner of its folder")
    storage = stored.file.storage
    key = ""
    try:
        with transaction.atomic():
            names.lock_owner(owner.pk)
            folder = tree.ensure_path(owner, folder, directory)
            key = place()
            stored.file.name = key
            opener = open_placed or (lambda name: storage.open(name, "rb"))
            with opener(key) as placed:
                if digests is None:
                    digests = Digests()
                    while chunk := placed.read(1024 * 1024):
                        digests.update(chunk)
                    placed.seek(0)
                head = placed.read(HEAD_SIZE)
                stored.content_type = detect_content_type(stored.name, head, placed)
            stored.sha256, stored.sha1, stored.crc32 = digests.sha256, digests.sha1, digests.crc32
            stored.owner = owner
            stored.folder = folder
            _save_under_free_name(stored)
            release()
            schedule_thumbnails([stored])
    except BaseException as error:
        if key:
            _remove_key_quietly(storage, key)
        if isinstance(error, STORE_ERRORS):
            raise StoreUnavailable(str(error)) from error
        raise
    return stored


def _save_under_free_name(stored: UploadedFile) -> None:
    """Save `stored` under its name or the first free numbered copy of it, under the owner lock.

    The savepoint catches what the lock cannot: a name PostgreSQL's LOWER()
    folds onto a taken one while Python's lower() does not. The next number
    is tried then; the bytes, once moved into storage, stay where they are.
    """
    also_taken: set[str] = set()
    while True:
        stored.name = names.free_name(stored.owner_id, stored.folder, stored.name, also_taken)
        try:
            with transaction.atomic():
                stored.save()  # FileField.pre_save moves the bytes into storage
            return
        except IntegrityError:
            if names.taken(stored.owner_id, stored.folder, stored.name) != "file":
                raise
            also_taken.add(stored.name.lower())


def rename_file(stored: UploadedFile, name: str) -> UploadedFile:
    """Give `stored` the name `name`, refused when a file or folder beside it holds it."""
    name = check_name(name)
    with transaction.atomic():
        names.lock_owner(stored.owner_id)
        kind = names.taken(stored.owner_id, stored.folder, name, file=stored)
        if kind is not None:
            raise names.name_taken(name, stored.folder, kind)
        stored.name = name
        try:
            with transaction.atomic():
                stored.save(update_fields=["name"])
        except IntegrityError as error:
            raise names.name_taken(name, stored.folder, "file") from error
    return stored


def _remove_quietly(upload: UploadedFile) -> None:
    _remove_key_quietly(upload.file.storage, upload.file.name)


def _remove_key_quietly(storage: Storage, key: str) -> None:
    """Best effort: a store that just failed may fail this too; the row is gone either way."""
    try:
        storage.delete(key)
    except STORE_ERRORS:
        logger.warning("could not remove %s after a failed upload", key)


def replace_file(existing: UploadedFile, incoming: Upload) -> UploadedFile:
    """Put the bytes of `incoming` in place of `existing`'s: same id, name, folder, shares, links.

    What an upload over a taken name does when asked to replace, and what a
    WebDAV or API PUT to an existing file does. The new bytes go under a new
    revision of the file's key (never over the old bytes in place, which a
    failure half-way would corrupt); the row then points at them, and the
    previous bytes and thumbnail are deleted after the commit. Under the owner
    lock, like every upload: the quota counts the difference in size.
    Raises ValidationError (too_large, over_quota) or StoreUnavailable.
    """
    described = describe_upload(incoming, existing.name)
    check_size(existing.name, described.size)
    storage = existing.file.storage
    key = ""
    try:
        with transaction.atomic():
            owner = names.lock_owner(existing.owner_id)
            current = UploadedFile.objects.select_for_update().get(pk=existing.pk)
            check_quota(owner, described.size - current.size)
            previous = stored_keys(current)
            # Named before the write: a store failing half-way leaves bytes to remove.
            key = contract.storage_key(owner.pk, current.pk, secrets.token_hex(6))
            key = storage.save(key, incoming)
            current.file.name = key
            current.thumbnail.name = ""
            for field in ("size", "content_type", "sha256", "sha1", "crc32"):
                setattr(current, field, getattr(described, field))
            current.modified = timezone.now()
            current.save()
            delete_after_commit(storage, previous)
            schedule_thumbnails([current])
    except BaseException as error:
        if key:
            _remove_key_quietly(storage, key)
        if isinstance(error, STORE_ERRORS):
            raise StoreUnavailable(str(error)) from error
        raise
    return current
