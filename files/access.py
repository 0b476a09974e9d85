"""Who may do what: the one module that decides access to files and folders.

Each function returns a filter (a Q) for UploadedFile or Folder querysets; the
queryset methods (`owned_by`, `readable_by`, `writable_by`, `movable_by`,
`move_targets_for`) are their only callers. A share on a folder covers
everything below it, now and later: the item's (or its folder's) materialized
`path` starts with the shared folder's path, one EXISTS per rule whatever the
number of shares, so a list page keeps its number of queries constant.

Strangers get a filter that matches nothing, so views answer 404, never 403.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, F, OuterRef, Q, TextField, Value
from django.db.models.lookups import StartsWith

from accounts.models import User
from files import models as files_models

NOTHING = Q(pk__in=[])
EVERYTHING = Q()
ANY_ROLE = ("viewer", "editor")
EDITING = ("editor",)


def _folder_shared_above(
    user: User, path: OuterRef, roles: tuple[str, ...], *, strictly: bool = False
) -> Exists:
    """A share with `user`, in one of `roles`, of the folder at `path` or one of its ancestors.

    `strictly`: an ancestor only, not the folder at `path` itself.
    """
    shares = files_models.Share.objects.filter(
        StartsWith(path, F("folder__path")), recipient=user, role__in=roles
    )
    if strictly:
        shares = shares.exclude(folder__path=path)
    return Exists(shares)


def owned_files(user: User | AnonymousUser) -> Q:
    if not user.is_authenticated:
        return NOTHING
    return Q(owner=user)


def readable_files(user: User | AnonymousUser) -> Q:
    """Own files, files shared with `user`, files below a folder shared with them; staff: all."""
    if not user.is_authenticated:
        return NOTHING
    if user.is_staff:
        return EVERYTHING
    shared_file = Exists(files_models.Share.objects.filter(recipient=user, file=OuterRef("pk")))
    return (
        Q(owner=user)
        | Q(shared_file)
        | Q(_folder_shared_above(user, OuterRef("folder__path"), ANY_ROLE))
    )


def writable_files(user: User | AnonymousUser) -> Q:
    """Files `user` may rename or move: own, or below a folder shared with them for editing.

    Staff read everything but change nothing of other people's through the site
    (the admin is their tool); deleting stays with the owner.
    """
    if not user.is_authenticated:
        return NOTHING
    return Q(owner=user) | Q(_folder_shared_above(user, OuterRef("folder__path"), EDITING))


def owned_folders(user: User | AnonymousUser) -> Q:
    if not user.is_authenticated:
        return NOTHING
    return Q(owner=user)


def readable_folders(user: User | AnonymousUser) -> Q:
    """Own folders, folders shared with `user` and everything below them; staff: all."""
    if not user.is_authenticated:
        return NOTHING
    if user.is_staff:
        return EVERYTHING
    return Q(owner=user) | Q(_folder_shared_above(user, OuterRef("path"), ANY_ROLE))


def writable_folders(user: User | AnonymousUser) -> Q:
    """Folders `user` may add to: own, or a folder shared for editing and those below it.

    An editor may change what is inside the shared folder, never the shared
    folder itself: renaming, moving, deleting or sharing it stays with the owner.
    """
    if not user.is_authenticated:
        return NOTHING
    return Q(owner=user) | Q(_folder_shared_above(user, OuterRef("path"), EDITING))


def movable_folders(user: User | AnonymousUser) -> Q:
    """Folders `user` may rename or move: own, or strictly below a folder shared for editing."""
    if not user.is_authenticated:
        return NOTHING
    return Q(owner=user) | Q(_folder_shared_above(user, OuterRef("path"), EDITING, strictly=True))


def move_targets(user: User | AnonymousUser, owner_id: object, path: str | None) -> Q:
    """Folders `user` may move something of the owner `owner_id`, at `path`, into.

    `path` is where the item lives (a folder's own path, or a file's folder's
    path; None: the owner's top level). The owner moves anywhere in their own
    tree. An editor moves only inside a folder shared with them for editing
    that holds the item too, so nothing leaves the shared subtree: not to the
    owner's other folders, not into another share of theirs, not to anyone
    else's tree. The top level is no folder, so it is never in this filter;
    files.folders decides that only the owner may move there.
    """
    if not user.is_authenticated:
        return NOTHING
    if owner_id == user.pk:
        return Q(owner=user)
    if path is None:
        return NOTHING
    shares = files_models.Share.objects.filter(
        StartsWith(Value(path, output_field=TextField()), F("folder__path")),
        StartsWith(OuterRef("path"), F("folder__path")),
        recipient=user,
        role__in=EDITING,
    )
    return Q(Exists(shares))


def files_via_link(link: files_models.Link) -> Q:
    """What an open download link shows: its file, or every file below its folder.

    A drop link shows nothing: its visitors put files in without seeing any.
    Whether the link is still open (expiry, revocation, limit) is checked by
    the link views before they ask.
    """
    if link.kind != files_models.Link.Kind.DOWNLOAD:
        return NOTHING
    if link.folder is None:
        return Q(pk=link.file_id)
    return Q(folder__path__startswith=link.folder.path)


def folders_via_link(link: files_models.Link) -> Q:
    """A folder link's folder and everything below it; nothing for other links."""
    if link.kind != files_models.Link.Kind.DOWNLOAD or link.folder is None:
        return NOTHING
    return Q(path__startswith=link.folder.path)
