"""Folder rules: names unique per parent, no cycles, subtrees moved and deleted whole.

Views, WebDAV and the API call these; none of them touches `Folder.path` or
the unique constraints directly, so every caller gets the same form errors.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet, Sum, TextField, Value
from django.db.models.functions import Concat, Lower, Substr

from accounts.models import User
from files import access, names
from files.models import Folder, UploadedFile
from files.names import clean_filename


@dataclass(frozen=True)
class Contents:
    """What deleting a folder would remove."""

    folders: int  # below it, not counting itself
    files: int
    bytes: int


def check_folder_name(name: str) -> str:
    cleaned = clean_filename(name)
    if not cleaned:
        raise ValidationError("A folder needs a name.", code="bad_name")
    return cleaned


def _save_unique(folder: Folder) -> None:
    """Save `folder`, reporting a file or folder of the same name beside it as a form error.

    Under the owner's lock (files.names): an upload choosing a file name there
    waits, so the file-and-folder rule, which no constraint sees, holds. The
    savepoint turns the unique constraint's word on a race the lock does not
    cover (SQLite, where select_for_update is a no-op) into the same error.
    """
    with transaction.atomic():
        names.lock_owner(folder.owner_id)
        kind = names.taken(folder.owner_id, folder.parent, folder.name, subfolder=folder)
        if kind is not None:
            raise names.name_taken(folder.name, folder.parent, kind)
        try:
            with transaction.atomic():
                folder.save()
        except IntegrityError as error:
            raise names.name_taken(folder.name, folder.parent, "folder") from error


def create_folder(owner: User, parent: Folder | None, name: str) -> Folder:
    """A new folder `name` in `parent` (None: the top level) of `owner`'s tree."""
    if parent is not None and parent.owner_id != owner.pk:
        raise ValueError("a folder belongs to the owner of its parent")
    folder_id = uuid.uuid4()
    folder = Folder(
        id=folder_id,
        owner=owner,
        parent=parent,
        name=check_folder_name(name),
        path=Folder.path_below(parent, folder_id),
    )
    _save_unique(folder)
    return folder


def rename_folder(folder: Folder, name: str) -> Folder:
    folder.name = check_folder_name(name)
    _save_unique(folder)
    return folder


def check_move(
    user: User | AnonymousUser, owner_id: object, path: str | None, target: Folder | None
) -> None:
    """Refuse moving something of `owner_id`'s, living at `path`, into `target` for `user`.

    The owner moves within their whole tree; an editor of a shared folder only
    between folders of that shared subtree (files.access.move_targets), never
    to the owner's top level, which would take the item out of the share.
    """
    if not access.may_move(user, owner_id, path, target):
        raise ValidationError(
            "You can move this only to a folder inside the folder shared with you.",
            code="outside_share",
        )


def move_folder(folder: Folder, target: Folder | None, *, by: User | None = None) -> Folder:
    """Put `folder` (with everything below it) into `target` (None: the top level).

    A folder cannot go into itself or its own subtree: that would cut it off
    from the top level. The owner's row is locked so that two crossing moves
    (A into B while B goes into A) cannot each pass the check and make a cycle.
    `by`: the person moving it, whose rights (check_move) the target must suit;
    None for callers that checked already.
    """
    with transaction.atomic():
        names.lock_owner(folder.owner_id)
        folder.refresh_from_db()
        if target is not None:
            target.refresh_from_db()
        if by is not None:
            # Under the lock, on the refreshed path: a concurrent move of the
            # folder cannot slip it out of the share between check and update.
            # First: a target in another owner's tree is refused, not a crash.
            check_move(by, folder.owner_id, folder.path, target)
        if target is not None:
            if target.owner_id != folder.owner_id:
                raise ValueError("folders move only inside their owner's tree")
            if target.path.startswith(folder.path):
                raise ValidationError(
                    "“%(name)s” cannot be moved into itself or a folder inside it.",
                    code="cycle",
                    params={"name": folder.name},
                )
        if folder.parent_id == (target.pk if target else None):
            return folder
        old_path = folder.path
        folder.parent = target
        folder.path = Folder.path_below(target, folder.pk)
        _save_unique(folder)
        # One UPDATE rewrites the prefix of every folder below.
        Folder.objects.filter(path__startswith=old_path).exclude(pk=folder.pk).update(
            path=Concat(
                Value(folder.path), Substr("path", len(old_path) + 1), output_field=TextField()
            )
        )
    return folder


def move_files(user: User, file_ids: Iterable[uuid.UUID], target: Folder | None) -> int:
    """Move the files among `file_ids` that `user` may change into `target`; how many moved.

    Ids of files `user` may not change are ignored: the caller scoped them
    already, and a forged id must not move a stranger's file. A file `user`
    may change but not put into `target` (an editor's file going out of the
    shared folder, or into another owner's tree), or whose name something in
    `target` holds already, refuses the whole move: nothing is half done.
    """
    with transaction.atomic():
        # Whoever moves, the files end in one owner's tree (checked below): lock it.
        names.lock_owner(target.owner_id if target else user.pk)
        files = list(
            access.writable_files(user).filter(pk__in=list(file_ids)).select_related("folder")
        )
        # One check per place the files come from, not per file.
        places = {(f.owner_id, f.folder.path if f.folder else None) for f in files}
        for owner_id, path in places:
            check_move(user, owner_id, path, target)
        if target is not None and any(f.owner_id != target.owner_id for f in files):
            raise ValueError("files move only inside their owner's tree")
        target_id = target.pk if target else None
        moving = [f for f in files if f.folder_id != target_id]
        _check_free(user.pk if target is None else target.owner_id, target, moving)
        try:
            with transaction.atomic():
                return UploadedFile.objects.filter(pk__in=[f.pk for f in files]).update(
                    folder=target
                )
        except IntegrityError as error:
            # Names the database folds alike and Python does not: rarer than rare.
            raise ValidationError(
                "Nothing was moved: a name among these is taken in %(where)s.",
                code="name_taken",
                params={"where": _where(target)},
            ) from error


def _where(folder: Folder | None) -> str:
    return f"“{folder.name}”" if folder else "the top level"


def _quoted(items: Iterable[str]) -> str:
    return ", ".join(f"“{name}”" for name in items)


def _check_free(owner_id: int, target: Folder | None, moving: list[UploadedFile]) -> None:
    """Refuse moving `moving` into `target` when two share a name, or one's is taken there."""
    by_name: dict[str, list[str]] = {}
    for moved in moving:
        by_name.setdefault(moved.name.lower(), []).append(moved.name)
    twice = sorted((min(group) for group in by_name.values() if len(group) > 1), key=str.lower)
    if twice:
        raise ValidationError(
            "Nothing was moved: several of the files chosen are named %(names)s.",
            code="name_taken",
            params={"names": _quoted(twice)},
        )
    held = names.clashes(owner_id, target, [f.name for f in moving])
    if held:
        raise ValidationError(
            "Nothing was moved: %(where)s already holds %(names)s.",
            code="name_taken",
            params={"where": _where(target), "names": _quoted(held)},
        )


def contents(folder: Folder) -> Contents:
    """How many folders and files live below `folder`, and their bytes."""
    files = UploadedFile.objects.filter(folder__path__startswith=folder.path).aggregate(
        count=Count("pk"), bytes=Sum("size", default=0)
    )
    below = Folder.objects.filter(path__startswith=folder.path).exclude(pk=folder.pk).count()
    return Contents(folders=below, files=files["count"], bytes=files["bytes"])


def delete_folder(folder: Folder) -> None:
    """Remove `folder`, its subfolders and their files.

    The files go first, in one query that Django's collector turns into one
    post_delete per file: files/signals.py then deletes their bytes after the
    commit. Deleting the folders alone would cascade the same way, but one
    collector pass per level of nesting.
    """
    with transaction.atomic():
        UploadedFile.objects.filter(folder__path__startswith=folder.path).delete()
        Folder.objects.filter(path__startswith=folder.path).delete()


def ancestors(folder: Folder, user: User | AnonymousUser) -> list[Folder]:
    """The folders above `folder` that `user` may see, top level first: the breadcrumb.

    One query. Someone `folder` is shared with sees the trail from the shared
    folder down, never the owner's folders above it.
    """
    ids = folder.path.strip("/").split("/")[:-1]
    if not ids:
        return []
    above = access.readable_folders(user).filter(pk__in=ids)
    return sorted(above, key=lambda f: len(f.path))


def ensure_path(
    owner: User, parent: Folder | None, parts: Iterable[str], *, numbered: bool = False
) -> Folder | None:
    """The folder `parts` names below `parent`, created where missing.

    A dropped folder's files arrive a few at a time, each with the path of its
    directory; the first to need a folder creates it and the others find it.
    A file holding a part's name refuses the upload, unless `numbered`: then
    the part is the first of "name", "name (1)", ... that is a folder or free,
    so every file of one dropped directory lands in the same numbered folder
    and the sender is told nothing of what the place held (drop links).
    """
    folder = parent
    for part in parts:
        name = check_folder_name(part)
        if numbered:
            folder = _numbered_folder(owner, folder, name)
            continue
        existing = _folder_named(owner, folder, name)
        if existing is None:
            try:
                existing = create_folder(owner, folder, name)
            except ValidationError as error:
                # Another upload created it between our look and our insert,
                # or a file holds the name: that refusal is the upload's.
                existing = _folder_named(owner, folder, name)
                if existing is None:
                    raise error
        folder = existing
    return folder


def _folder_named(owner: User, parent: Folder | None, name: str) -> Folder | None:
    found: Folder | None = (
        names.folders_in(owner.pk, parent)
        .annotate(key=Lower("name"))
        .filter(key=Lower(Value(name)))
        .first()
    )
    return found


def _numbered_folder(owner: User, parent: Folder | None, name: str) -> Folder:
    """The folder "name" in `parent`, or the first numbered copy that is a folder or free."""
    for number in range(names.MAX_COPIES + 1):
        candidate = names.numbered(name, number) if number else name
        existing = _folder_named(owner, parent, candidate)
        if existing is not None:
            return existing
        if names.taken(owner.pk, parent, candidate) is None:
            try:
                return create_folder(owner, parent, candidate)
            except ValidationError:
                # Taken since our look (a concurrent drop): look at this number again.
                existing = _folder_named(owner, parent, candidate)
                if existing is not None:
                    return existing
    raise ValidationError("There are too many copies of that folder.", code="name_taken")


def folder_choices(owner: User, only: QuerySet[Folder] | None = None) -> list[tuple[Folder, str]]:
    """`owner`'s folders (or those of `only`) labelled with their path, in tree order, one query.

    A label names only the folders in the set: an editor offered the folders of
    a share sees paths from the shared folder down, not the owner's above it.
    """
    folders = list(Folder.objects.filter(owner=owner, trashed_at=None) if only is None else only)
    by_id = {str(f.pk): f for f in folders}

    def names(folder: Folder) -> list[str]:
        return [by_id[i].name for i in folder.path.strip("/").split("/") if i in by_id]

    labelled = [(f, " / ".join(names(f))) for f in folders]
    return sorted(labelled, key=lambda pair: [n.casefold() for n in names(pair[0])])
