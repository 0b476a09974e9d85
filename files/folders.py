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
from django.db.models.functions import Concat, Substr

from accounts.models import User
from files.filenames import clean_filename
from files.models import Folder, UploadedFile


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


def _sibling_exists(owner: User, parent: Folder | None, name: str, exclude: Folder | None) -> bool:
    siblings = Folder.objects.filter(owner=owner, parent=parent, name__iexact=name)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude.pk)
    return siblings.exists()


def _name_taken(name: str, parent: Folder | None) -> ValidationError:
    where = f"“{parent.name}”" if parent else "the top level"
    return ValidationError(
        "A folder named “%(name)s” already exists in %(where)s.",
        code="name_taken",
        params={"name": name, "where": where},
    )


def _save_unique(folder: Folder) -> None:
    """Save `folder`, reporting a sibling with the same name as a form error.

    The exists() check gives the friendly error; the savepoint catches the
    race where two requests create the same name at once, which only the
    database's unique constraint can see.
    """
    if _sibling_exists(folder.owner, folder.parent, folder.name, exclude=folder):
        raise _name_taken(folder.name, folder.parent)
    try:
        with transaction.atomic():
            folder.save()
    except IntegrityError as error:
        raise _name_taken(folder.name, folder.parent) from error


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
    if target is None:
        allowed = user.is_authenticated and owner_id == user.pk
    else:
        allowed = (
            Folder.objects.move_targets_for(user, owner_id, path).filter(pk=target.pk).exists()
        )
    if not allowed:
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
        User.objects.select_for_update().get(pk=folder.owner_id)
        folder.refresh_from_db()
        if target is not None:
            target.refresh_from_db()
            if target.owner_id != folder.owner_id:
                raise ValueError("folders move only inside their owner's tree")
            if target.path.startswith(folder.path):
                raise ValidationError(
                    "“%(name)s” cannot be moved into itself or a folder inside it.",
                    code="cycle",
                    params={"name": folder.name},
                )
        if by is not None:
            # Under the lock, on the refreshed path: a concurrent move of the
            # folder cannot slip it out of the share between check and update.
            check_move(by, folder.owner_id, folder.path, target)
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
    shared folder, or into another owner's tree) refuses the whole move.
    """
    files = list(
        UploadedFile.objects.writable_by(user)
        .filter(pk__in=list(file_ids))
        .select_related("folder")
    )
    # One check per place the files come from, not per file.
    places = {(f.owner_id, f.folder.path if f.folder else None) for f in files}
    for owner_id, path in places:
        check_move(user, owner_id, path, target)
    if target is not None and any(f.owner_id != target.owner_id for f in files):
        raise ValueError("files move only inside their owner's tree")
    return UploadedFile.objects.filter(pk__in=[f.pk for f in files]).update(folder=target)


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
    above = Folder.objects.readable_by(user).filter(pk__in=ids)
    return sorted(above, key=lambda f: len(f.path))


def ensure_path(owner: User, parent: Folder | None, parts: Iterable[str]) -> Folder | None:
    """The folder `parts` names below `parent`, created where missing.

    A dropped folder's files arrive a few at a time, each with the path of its
    directory; the first to need a folder creates it and the others find it.
    """
    folder = parent
    for part in parts:
        name = check_folder_name(part)
        existing = Folder.objects.filter(owner=owner, parent=folder, name__iexact=name).first()
        if existing is None:
            try:
                existing = create_folder(owner, folder, name)
            except ValidationError:
                # Another upload created it between our look and our insert.
                existing = Folder.objects.get(owner=owner, parent=folder, name__iexact=name)
        folder = existing
    return folder


def folder_choices(owner: User, only: QuerySet[Folder] | None = None) -> list[tuple[Folder, str]]:
    """`owner`'s folders (or those of `only`) labelled with their path, in tree order, one query.

    A label names only the folders in the set: an editor offered the folders of
    a share sees paths from the shared folder down, not the owner's above it.
    """
    folders = list(Folder.objects.filter(owner=owner) if only is None else only)
    by_id = {str(f.pk): f for f in folders}

    def names(folder: Folder) -> list[str]:
        return [by_id[i].name for i in folder.path.strip("/").split("/") if i in by_id]

    labelled = [(f, " / ".join(names(f))) for f in folders]
    return sorted(labelled, key=lambda pair: [n.casefold() for n in names(pair[0])])
