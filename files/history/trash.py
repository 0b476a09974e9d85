"""The owner's trash: where a deleted file or folder waits until restored or purged.

Deleting from any door (the browser, an editor of a share, WebDAV, the API)
calls `trash_file` / `trash_folder`: the item goes to its owner's trash at
once, whoever deleted it. A trashed item is moved to the top level of the
owner's tree (where the unique names ignore it), remembering its folder
(`trashed_from`) and that place's name for people (`trashed_place`);
everything below a trashed folder is marked with the same `trashed_at` and
stays below it. files.access leaves every trashed row out of what anyone can
reach, so it disappears for those it was shared with, and its links, at once.

Its rows and bytes stay until `purge` (Delete forever), `empty`, the expiry
(files.history.tasks, PORTAL_TRASH_DAYS) or `make_room` for an upload
removes them; bytes then go after the commit (files/signals.py). The trash
counts against the quota (the rows are still there): files.uploads.quota
shows it apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum, TextField, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from accounts.models import User
from files import names
from files.folders import tree
from files.history import versions
from files.history.tasks import schedule_expiry
from files.models import Folder, UploadedFile

Item = UploadedFile | Folder


@dataclass(frozen=True)
class Restored:
    """Where a restored item went, and under which name."""

    item: Item
    place: Folder | None  # None: the top level
    renamed: bool  # its name was taken there: it is a numbered copy now
    place_gone: bool  # its folder was deleted or is in the trash: it went to the top level


def place_of(folder: Folder | None) -> str:
    """`folder`'s place spelled for people ("Projects / 2026"); "" for the top level."""
    if folder is None:
        return ""
    ids = folder.path.strip("/").split("/")
    above = sorted(Folder.objects.filter(pk__in=ids), key=lambda f: len(f.path))
    return " / ".join(f.name for f in above)


def _move_subtree(folder: Folder, old_path: str) -> None:
    """Rewrite the paths below `folder`, whose own path was `old_path` (one UPDATE)."""
    Folder.objects.filter(path__startswith=old_path).exclude(pk=folder.pk).update(
        path=Concat(Value(folder.path), Substr("path", len(old_path) + 1), output_field=TextField())
    )


def trash_file(stored: UploadedFile, *, by: User | None) -> UploadedFile:
    """Send `stored` to its owner's trash (`by`: who deleted it). Already there: nothing."""
    with transaction.atomic():
        names.lock_owner(stored.owner_id)
        stored.refresh_from_db()
        if stored.trashed_at is not None:
            return stored
        stored.trashed_at = timezone.now()
        stored.trashed_by = by
        stored.trashed_from = stored.folder
        stored.trashed_place = place_of(stored.folder)
        stored.folder = None
        stored.save(
            update_fields=["trashed_at", "trashed_by", "trashed_from", "trashed_place", "folder"]
        )
        schedule_expiry(stored.trashed_at)
    return stored


def trash_folder(folder: Folder, *, by: User | None) -> Folder:
    """Send `folder` with everything below it to its owner's trash. Already there: nothing."""
    with transaction.atomic():
        names.lock_owner(folder.owner_id)
        folder.refresh_from_db()
        if folder.trashed_at is not None:
            return folder
        now, old_path = timezone.now(), folder.path
        # Everything below shares the folder's timestamp: the expiry takes the tree at once.
        UploadedFile.objects.filter(folder__path__startswith=old_path).update(
            trashed_at=now, trashed_by=by
        )
        Folder.objects.filter(path__startswith=old_path).exclude(pk=folder.pk).update(
            trashed_at=now, trashed_by=by
        )
        folder.trashed_at = now
        folder.trashed_by = by
        folder.trashed_from = folder.parent
        folder.trashed_place = place_of(folder.parent)
        folder.parent = None
        folder.path = Folder.path_below(None, folder.pk)
        folder.save()
        _move_subtree(folder, old_path)
        schedule_expiry(now)
    return folder


def _destination(item: Item) -> tuple[Folder | None, bool]:
    """Where `item` goes back to, and whether that is the top level for want of its place."""
    source = item.trashed_from
    if source is not None and source.trashed_at is None:
        return source, False
    # Its folder was deleted since (SET_NULL left its name) or is in the trash itself.
    return None, bool(source is not None or item.trashed_place)


def restore(item: Item) -> Restored:
    """Put a trashed `item` back in its place, under a free name; a folder with its tree."""
    with transaction.atomic():
        names.lock_owner(item.owner_id)
        item.refresh_from_db()
        top = item.folder_id if isinstance(item, UploadedFile) else item.parent_id
        if item.trashed_at is None or top is not None:
            raise ValueError("only an entry of the trash is restored")
        place, gone = _destination(item)
        wanted = item.name
        item.name = names.free_name(item.owner_id, place, wanted, set())
        item.trashed_at = item.trashed_by = item.trashed_from = None
        item.trashed_place = ""
        if isinstance(item, UploadedFile):
            item.folder = place
            item.save()
        else:
            old_path = item.path
            item.parent = place
            item.path = Folder.path_below(place, item.pk)
            item.save()
            _move_subtree(item, old_path)
            Folder.objects.filter(path__startswith=item.path).update(
                trashed_at=None, trashed_by=None
            )
            UploadedFile.objects.filter(folder__path__startswith=item.path).update(
                trashed_at=None, trashed_by=None
            )
    return Restored(item=item, place=place, renamed=item.name != wanted, place_gone=gone)


def purge(item: Item) -> None:
    """Delete a trashed `item` forever: rows now, bytes (and versions) after the commit."""
    if item.trashed_at is None:
        raise ValueError("only what is in the trash is deleted forever")
    with transaction.atomic():
        names.lock_owner(item.owner_id)
        if isinstance(item, UploadedFile):
            item.delete()
        else:
            tree.delete_folder(item)


def empty(owner: User) -> None:
    """Delete everything in `owner`'s trash forever."""
    with transaction.atomic():
        names.lock_owner(owner.pk)
        UploadedFile.objects.filter(owner=owner, trashed_at__isnull=False).delete()
        Folder.objects.filter(owner=owner, trashed_at__isnull=False).delete()


def trash_bytes(owner_id: int) -> int:
    """What `owner_id`'s trash takes (every trashed row, in or below an entry)."""
    trashed = UploadedFile.objects.filter(owner_id=owner_id, trashed_at__isnull=False)
    return int(trashed.aggregate(total=Sum("size", default=0))["total"])


def make_room(owner: User, needed: int) -> int:
    """Free `needed` bytes of `owner`'s, as an upload that would not fit asks; bytes freed.

    The oldest trash entries go first (a folder with its tree), then the oldest
    versions, as Nextcloud does; live files are never touched, so the upload
    is refused when this is not enough. Call it under the owner lock, inside
    the upload's transaction: if the upload fails, nothing was purged.
    """
    start = owner.storage_used()

    def freed() -> int:
        return start - owner.storage_used()

    entries: list[Item] = [
        *UploadedFile.objects.filter(owner=owner, trashed_at__isnull=False, folder=None),
        *Folder.objects.filter(owner=owner, trashed_at__isnull=False, parent=None),
    ]
    for entry in sorted(entries, key=lambda item: (item.trashed_at, str(item.pk))):
        if freed() >= needed:
            return freed()
        purge(entry)
    if freed() < needed:
        versions.drop_oldest(owner, needed - freed())
    return freed()
