"""The rules for an incoming file (name, size, quota) and the all-or-nothing store.

The browser form, the script-driven uploader, and later drop links, WebDAV
and the API all come through here, so none of them can skip a rule; forms
and views only turn the ValidationErrors into words for people.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from typing import IO, Literal, Protocol, TypeVar

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
from files.history import trash, versions
from files.models import Folder, ResumableUpload, UploadedFile
from files.names import clean_filename, unescape_form_filename
from files.scanning import scan
from files.scanning.tasks import after_store
from files.uploads.content import HEAD_SIZE, detect_content_type
from files.uploads.handler import Digests, HashedUpload

logger = logging.getLogger(__name__)


def store_errors() -> tuple[type[Exception], ...]:
    """What the S3 backend raises when the store is down, slow or refuses us; none locally.

    boto3's transfer manager wraps a failed upload in a Boto3Error. Imported
    here, not at the top: boto3 is ~10 MiB and ~70 ms of every worker's start,
    which a worker storing on local disk never needs (docs/performance.md,
    "Worker memory").
    """
    if settings.PORTAL_STORAGE != "s3":
        return ()
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError, Boto3Error)


# What an upload does to a file of the same name in its folder: keep both (the new
# one numbered, "name (1).ext": the default, as before) or replace its bytes,
# keeping the previous ones as a version (files.history.versions).
OnConflict = Literal["keep_both", "replace"]
KEEP_BOTH: OnConflict = "keep_both"
REPLACE: OnConflict = "replace"
ON_CONFLICT: tuple[OnConflict, ...] = (KEEP_BOTH, REPLACE)


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


def check_quota(owner: User, incoming_bytes: int, *, make_room: bool = True) -> None:
    """Refuse `incoming_bytes` more for `owner` past their quota, after making room if it can.

    Call it under the owner lock (names.lock_owner), inside the upload's
    transaction. A form's early check, outside both, passes `make_room=False`:
    it purges nothing and counts what could be purged as free.

    The total counts the trash and the versions, and what unfinished resumable
    uploads reserved: when the upload would not fit, the oldest trash is
    purged first, then the oldest versions (files.history.trash.make_room),
    and only then is it refused. A refused or failed upload rolls the purge
    back with it.
    """
    quota = owner.effective_quota()
    if quota is None:
        return
    reserved = ResumableUpload.objects.reserved_by(owner.pk)
    used = owner.storage_used() + reserved
    if used + incoming_bytes > quota:
        if make_room:
            trash.make_room(owner, used + incoming_bytes - quota)
            used = owner.storage_used() + reserved
        else:
            used -= trash.trash_bytes(owner.pk) + versions.versions_bytes(owner.pk)
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
    *,
    numbered_folders: bool = False,
    on_conflict: OnConflict = KEEP_BOTH,
    by: User | None = None,
) -> list[UploadedFile]:
    """Save every file for `owner` into `folder` (None: the top level), or none of them.

    `directory` names folders below `folder` to put them in, created where
    missing: a dropped folder recreates its tree this way, one file at a time.
    `record` writes the door's own rows about the stored files (a drop link's
    Drop rows) in the same transaction: they commit with the files or not at all.
    `numbered_folders`: a directory whose name a file holds becomes "name (1)"
    instead of a refusal (a drop link, whose sender may learn nothing of the place).

    A name already taken in the folder (by a file or a folder, ignoring case)
    is kept both ways, as Dropbox and Seafile do: the new file is stored as
    "name (1).ext", "name (2).ext"... (files.names); `stored.name` says which.
    With `on_conflict="replace"`, a file of that name gets the new bytes
    instead (same id, shares and links; the previous bytes become a version):
    the list returned then holds that file in place of the unsaved one.
    `by`: who sends the files (None: an anonymous drop), recorded on them.

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
    if on_conflict not in ON_CONFLICT:
        raise ValueError(f"on_conflict is one of {ON_CONFLICT}")
    saving: list[UploadedFile] = []  # the ones whose save() has begun
    replacing: list[tuple[UploadedFile, str]] = []  # files replaced, with their previous key
    result: list[UploadedFile] = []
    try:
        with transaction.atomic():
            locked = names.lock_owner(owner.pk)
            folder = tree.ensure_path(owner, folder, directory, numbered=numbered_folders)
            targets = _files_replaced(owner, folder, files) if on_conflict == REPLACE else {}
            # A replaced file's row changes size by the difference; its previous
            # bytes, a version now, are the newest candidates to make room.
            replaced_bytes = sum(current.size for current in targets.values())
            check_quota(locked, sum(f.size for f in files) - replaced_bytes)
            for index, stored in enumerate(files):
                stored.owner = owner
                stored.folder = folder
                stored.uploaded_by = by
                # Pending while scanning is on: nobody else gets it until ClamAV has.
                stored.scan_status = scan.initial_status()
                current = targets.get(index)
                if current is not None:
                    replacing.append((current, current.file.name))
                    _put_revision(current, stored, stored.file)
                    result.append(current)
                    continue
                saving.append(stored)
                _save_under_free_name(stored)
                result.append(stored)
            if record is not None:
                record(result)
            after_store(result)
    except BaseException as error:
        for stored in saving:
            # _committed: the bytes reached storage, and file.name is now our key.
            if stored.file._committed:
                _remove_quietly(stored)
        for current, previous in replacing:
            if current.file.name != previous:
                _remove_quietly(current)  # the new revision's key, set before the write
        if isinstance(error, store_errors()):
            raise StoreUnavailable(str(error)) from error
        raise
    return result


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
    by: User | None = None,
    record: Callable[[list[UploadedFile]], object] | None = None,
    *,
    numbered_folders: bool = False,
    on_conflict: OnConflict = KEEP_BOTH,
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
    bytes without a row. `by`, `record`, `numbered_folders` and
    `on_conflict` as for store_uploads: with "replace", a file of that name
    takes the placed bytes (same id, shares and links; its previous bytes
    become a version) and is returned in place of `stored`.
    Raises ValidationError or StoreUnavailable.
    """
    if folder is not None and folder.owner_id != owner.pk:
        raise ValueError("a file belongs to the owner of its folder")
    if on_conflict not in ON_CONFLICT:
        raise ValueError(f"on_conflict is one of {ON_CONFLICT}")
    storage = stored.file.storage
    key = ""
    try:
        with transaction.atomic():
            names.lock_owner(owner.pk)
            folder = tree.ensure_path(owner, folder, directory, numbered=numbered_folders)
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
            stored.uploaded_by = by
            # Pending while scanning is on: nobody else gets it until ClamAV has.
            stored.scan_status = scan.initial_status()
            targets = _files_replaced(owner, folder, [stored]) if on_conflict == REPLACE else {}
            if targets:
                # The placed key stays: u/<owner>/<upload's file id>, not a revision
                # of the replaced file's key, since an S3 object cannot be renamed
                # without copying it. The reservation covered its size: no quota check.
                stored = _take_bytes(targets[0], stored, key)
            else:
                _save_under_free_name(stored)
            release()
            if record is not None:
                record([stored])
            after_store([stored])
    except BaseException as error:
        if key:
            _remove_key_quietly(storage, key)
        if isinstance(error, store_errors()):
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
    except store_errors():
        logger.warning("could not remove %s after a failed upload", key)


def replace_file(
    existing: UploadedFile, incoming: Upload, *, by: User | None = None
) -> UploadedFile:
    """Put the bytes of `incoming` in place of `existing`'s: same id, name, folder, shares, links.

    What an upload over a taken name does when asked to replace, and what a
    WebDAV or API PUT to an existing file does. The new bytes go under a new
    revision of the file's key (never over the old bytes in place, which a
    failure half-way would corrupt); the row then points at them, and the
    previous bytes are kept as a version (files.history.versions; the oldest
    beyond PORTAL_MAX_VERSIONS go after the commit). Under the owner lock,
    like every upload: the quota counts the versions too, and makes room by
    purging the trash, then the oldest versions (this one last). `by`: who
    sends them.
    Raises ValidationError (too_large, over_quota) or StoreUnavailable.
    """
    described = describe_upload(incoming, existing.name)
    check_size(existing.name, described.size)
    described.uploaded_by = by
    current, previous = existing, ""
    try:
        with transaction.atomic():
            owner = names.lock_owner(existing.owner_id)
            current = UploadedFile.objects.select_for_update().get(pk=existing.pk)
            previous = current.file.name
            versions.keep(current)
            # The row changes by the difference; the version just kept is the
            # last thing purged to make room (so a tight quota still replaces).
            check_quota(owner, described.size - current.size)
            _put_revision(current, described, incoming)
            after_store([current])
    except BaseException as error:
        if previous and current.file.name != previous:
            _remove_quietly(current)  # the new revision's key, set before the write
        if isinstance(error, store_errors()):
            raise StoreUnavailable(str(error)) from error
        raise
    return current


def _files_replaced(
    owner: User, folder: Folder | None, files: list[UploadedFile]
) -> dict[int, UploadedFile]:
    """The files in `folder` that `files` replace, by index, their bytes kept as versions.

    Under the owner lock. Of two incoming files of one name, the first replaces;
    the second is kept both ways.
    """
    targets: dict[int, UploadedFile] = {}
    seen: set[str] = set()
    for index, stored in enumerate(files):
        if stored.name.lower() in seen:
            continue
        seen.add(stored.name.lower())
        existing = names.file_named(owner.pk, folder, stored.name)
        if existing is not None:
            current = UploadedFile.objects.select_for_update().get(pk=existing.pk)
            versions.keep(current)
            targets[index] = current
    return targets


def _put_revision(current: UploadedFile, described: UploadedFile, incoming: Upload) -> None:
    """Store `incoming` as `current`'s new bytes (described by `described`), under the lock.

    The caller has kept the previous bytes as a version (versions.keep).
    `current.file.name` holds the new key from before the write on, so a
    caller cleaning up after a failure finds it.
    """
    storage = current.file.storage
    key = contract.storage_key(current.owner_id, current.pk, secrets.token_hex(6))
    current.file.name = key
    _take_bytes(current, described, storage.save(key, incoming))


def _take_bytes(current: UploadedFile, described: UploadedFile, key: str) -> UploadedFile:
    """`current` now holds the bytes at `key`, described by `described`; saved, under the lock."""
    current.file.name = key
    current.thumbnail.name = ""
    # New bytes, a new verdict: checked again before anyone else gets them.
    current.scan_status, current.scan_signature = scan.initial_status(), ""
    current.scanned = None
    for field in ("size", "content_type", "sha256", "sha1", "crc32", "uploaded_by"):
        setattr(current, field, getattr(described, field))
    current.modified = timezone.now()
    current.save()
    return current
