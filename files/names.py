"""The one module that knows whether a name is free in a place, for files and folders alike.

A place is a folder, or one owner's top level. In it, no two files, no two
folders and no file and folder share a name, ignoring case (as Windows and
macOS see them, and as Nextcloud has it: a download or a sync there must not
collide). The two same-kind rules are also unique constraints; the file and
folder one only this module keeps, under the owner's row lock that every
change of a name in the owner's tree takes (lock_owner).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower

from accounts.models import User
from files.filenames import numbered, numbered_base
from files.models import Folder, UploadedFile

Kind = Literal["file", "folder"]
# How many numbered copies a name may have before an upload is refused.
MAX_COPIES = 10_000


def lock_owner(owner_id: int) -> None:
    """Lock the row of the owner of a tree: name changes in it then run one at a time.

    Call it inside a transaction. Uploads take it for the quota too.
    """
    User.objects.select_for_update().filter(pk=owner_id).exists()


def files_in(owner_id: int, folder: Folder | None) -> QuerySet[UploadedFile]:
    if folder is None:
        return UploadedFile.objects.filter(owner_id=owner_id, folder=None)
    return UploadedFile.objects.filter(folder=folder)


def folders_in(owner_id: int, folder: Folder | None) -> QuerySet[Folder]:
    if folder is None:
        return Folder.objects.filter(owner_id=owner_id, parent=None)
    return Folder.objects.filter(parent=folder)


def _named(names: Iterable[str]) -> Q:
    # LOWER on both sides, in the database: the same comparison as the constraints.
    query = Q(pk__in=[])
    for name in names:
        query |= Q(key=Lower(Value(name)))
    return query


def taken(
    owner_id: int,
    folder: Folder | None,
    name: str,
    *,
    file: UploadedFile | None = None,
    subfolder: Folder | None = None,
) -> Kind | None:
    """What already holds `name` in the place: "file", "folder" or None.

    `file` or `subfolder` is the item being renamed or moved, which does not
    clash with itself.
    """
    files = files_in(owner_id, folder).annotate(key=Lower("name")).filter(_named([name]))
    if file is not None:
        files = files.exclude(pk=file.pk)
    if files.exists():
        return "file"
    folders = folders_in(owner_id, folder).annotate(key=Lower("name")).filter(_named([name]))
    if subfolder is not None:
        folders = folders.exclude(pk=subfolder.pk)
    if folders.exists():
        return "folder"
    return None


def clashes(owner_id: int, folder: Folder | None, names: Iterable[str]) -> list[str]:
    """The names of the files and folders in the place that clash with any of `names`."""
    names = list(names)
    if not names:
        return []
    found: list[UploadedFile | Folder] = [
        *files_in(owner_id, folder).annotate(key=Lower("name")).filter(_named(names)),
        *folders_in(owner_id, folder).annotate(key=Lower("name")).filter(_named(names)),
    ]
    return sorted({item.name for item in found}, key=str.lower)


def free_name(owner_id: int, folder: Folder | None, name: str, also_taken: set[str]) -> str:
    """`name`, or its first numbered copy ("name (1).ext", ...) free in the place.

    `also_taken`: lower-cased names known to be taken that the database did
    not say (a name its LOWER folded differently from Python's). Two queries
    for a free name, three for a taken one, however many copies there are.
    """
    if name.lower() not in also_taken and taken(owner_id, folder, name) is None:
        return name
    # Every copy starts with the base: fetch those once, rather than a query a number.
    base = numbered_base(name)
    existing = {
        *files_in(owner_id, folder).filter(name__istartswith=base).values_list("name", flat=True),
        *folders_in(owner_id, folder).filter(name__istartswith=base).values_list("name", flat=True),
    }
    # Python's lower() folds at least what SQLite's ASCII-only LOWER() does.
    used = {n.lower() for n in existing} | also_taken
    for number in range(1, MAX_COPIES + 1):
        candidate = numbered(name, number)
        if candidate.lower() not in used:
            return candidate
    raise ValidationError(
        "There are too many copies of “%(name)s” here already.",
        code="name_taken",
        params={"name": name},
    )


def name_taken(name: str, folder: Folder | None, kind: Kind) -> ValidationError:
    """The form error for `name` held by a file or a folder in `folder` (None: the top level)."""
    where = f"“{folder.name}”" if folder else "the top level"
    message = (
        "A file named “%(name)s” already exists in %(where)s."
        if kind == "file"
        else "A folder named “%(name)s” already exists in %(where)s."
    )
    return ValidationError(message, code="name_taken", params={"name": name, "where": where})
