"""Earlier versions of a file: kept when an upload replaces its bytes, restored on demand.

files.uploads.intake calls `keep` under the owner lock when it puts new bytes
in place of a file's (same id, shares and links; links then serve the new
bytes): the previous bytes stay under their key as a FileVersion, and the
oldest go beyond PORTAL_MAX_VERSIONS. A version's bytes count against the
owner's quota (triggers on files_fileversion) and are purged, oldest first,
after the trash when an upload needs room (`drop_oldest`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from files import names
from files.models import FileVersion, UploadedFile
from files.scanning.tasks import after_keep, after_store
from files.signals import delete_after_commit, stored_keys

# The fields a version copies from the file whose bytes it keeps, and gives back on
# restore: the verdict too, since it is about these bytes (an infected version
# restored stays quarantined; a clean one is sent at once, as before it was replaced).
BYTES_FIELDS = (
    "size", "content_type", "sha256", "sha1", "crc32", "modified", "uploaded_by",
    "scan_status", "scan_signature", "scanned",
)  # fmt: skip


def keep(current: UploadedFile) -> FileVersion | None:
    """Keep `current`'s bytes as a version before new ones take their place.

    Call it under the owner lock, before changing `current`. With
    PORTAL_MAX_VERSIONS at 0 nothing is kept: the bytes go after the commit.
    The thumbnail goes either way: it is made again for the bytes that are current.
    """
    thumbnails = sorted(set(stored_keys(current)) - {current.file.name})
    delete_after_commit(current.file.storage, thumbnails)
    if settings.PORTAL_MAX_VERSIONS == 0:
        delete_after_commit(current.file.storage, [current.file.name])
        return None
    version = FileVersion.objects.create(
        file=current,
        owner_id=current.owner_id,
        stored=current.file.name,
        **{field: getattr(current, field) for field in BYTES_FIELDS},
    )
    trim(current)
    after_keep(version)
    return version


def trim(current: UploadedFile) -> None:
    """Drop the oldest versions of `current` beyond PORTAL_MAX_VERSIONS (bytes after commit)."""
    beyond = current.versions.order_by("-replaced", "-pk")[settings.PORTAL_MAX_VERSIONS :]
    FileVersion.objects.filter(pk__in=list(beyond.values_list("pk", flat=True))).delete()


def restore(version: FileVersion) -> UploadedFile:
    """Make `version`'s bytes current again; the current bytes become a version in its place.

    A swap of the two rows' bytes and their verdicts: no byte is copied or
    scanned again, and the quota's total does not move.
    """
    with transaction.atomic():
        names.lock_owner(version.owner_id)
        current = UploadedFile.objects.select_for_update().get(pk=version.file_id)
        version = FileVersion.objects.select_for_update().get(pk=version.pk)
        thumbnails = sorted(set(stored_keys(current)) - {current.file.name})
        delete_after_commit(current.file.storage, thumbnails)
        was = {field: getattr(current, field) for field in BYTES_FIELDS}
        was_key = current.file.name
        for field in BYTES_FIELDS:
            setattr(current, field, getattr(version, field))
        current.file.name = version.stored.name
        current.thumbnail.name = ""
        current.save()
        for field, value in was.items():
            setattr(version, field, value)
        version.stored.name = was_key
        version.replaced = timezone.now()
        version.save()
        # Pending bytes (either side) are scanned where they now are; cleared ones get a thumbnail.
        after_store([current])
        after_keep(version)
    return current


def versions_bytes(owner_id: int) -> int:
    """What `owner_id`'s versions take."""
    total = FileVersion.objects.filter(owner_id=owner_id).aggregate(total=Sum("size", default=0))
    return int(total["total"])


def drop_oldest(owner: User, needed: int) -> int:
    """Delete `owner`'s oldest versions until `needed` bytes are freed (or none is left)."""
    freed = 0
    for version in FileVersion.objects.filter(owner=owner).order_by("replaced", "pk"):
        if freed >= needed:
            break
        version.delete()
        freed += version.size
    return freed
