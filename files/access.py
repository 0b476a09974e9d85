"""Who may do what: the one module that decides access to files and folders.

Views, forms and the other rooms look files and folders up through the
functions here (`readable_files(user)`, `writable_folders(user)`, ...), each
a queryset they may filter further, so no lookup can skip the rule. The rules
live here and not as queryset methods on the models: the models would then
import the rules, which import the models (the Share subquery). A share on a folder covers
everything below it, now and later: the item's (or its folder's) materialized
`path` starts with the shared folder's path, one EXISTS per rule whatever the
number of shares, so a list page keeps its number of queries constant.

Strangers get a filter that matches nothing, so views answer 404, never 403.

Trashed files and folders (files.history.trash) are in none of these sets:
every rule below starts from LIVE, so a deleted item is gone at once for the
people it was shared with, its links, searches and moves. Only the owner's
trash (`trashed_files`, `trashed_folders`) shows them, to restore or purge.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Exists, F, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.lookups import StartsWith

from accounts.models import User
from files.models import (
    FileVersion,
    Folder,
    Link,
    ResumableUpload,
    ScanStatus,
    Share,
    UploadedFile,
)

NOTHING = Q(pk__in=[])
EVERYTHING = Q()
# Not in the trash: every file and folder everyone (the owner too) may reach.
LIVE = Q(trashed_at__isnull=True)
# In the owner's trash (a trashed folder's contents are trashed with it).
TRASHED = Q(trashed_at__isnull=False)
ANY_ROLE = ("viewer", "editor")
EDITING = ("editor",)


def _folder_shared_above(
    user: User, path: OuterRef, roles: tuple[str, ...], *, strictly: bool = False
) -> Exists:
    """A share with `user`, in one of `roles`, of the folder at `path` or one of its ancestors.

    `strictly`: an ancestor only, not the folder at `path` itself.
    """
    shares = Share.objects.filter(
        StartsWith(path, F("folder__path")), recipient=user, role__in=roles
    )
    if strictly:
        shares = shares.exclude(folder__path=path)
    return Exists(shares)


def _owned_files(user: User | AnonymousUser) -> Q:
    if not user.is_authenticated:
        return NOTHING
    return Q(owner=user)


def _readable_files(user: User | AnonymousUser) -> Q:
    """Own files, files shared with `user`, files below a folder shared with them; staff: all."""
    if not user.is_authenticated:
        return NOTHING
    if user.is_staff:
        return EVERYTHING
    shared_file = Exists(Share.objects.filter(recipient=user, file=OuterRef("pk")))
    return (
        Q(owner=user)
        | Q(shared_file)
        | Q(_folder_shared_above(user, OuterRef("folder__path"), ANY_ROLE))
    )


def _writable_files(user: User | AnonymousUser) -> Q:
    """Files `user` may rename or move: own, or below a folder shared with them for editing.

    Staff read everything but change nothing of other people's through the site
    (the admin is their tool); deleting stays with the owner.
    """
    if not user.is_authenticated:
        return NOTHING
    return Q(owner=user) | Q(_folder_shared_above(user, OuterRef("folder__path"), EDITING))


def _owned_folders(user: User | AnonymousUser) -> Q:
    if not user.is_authenticated:
        return NOTHING
    return Q(owner=user)


def _readable_folders(user: User | AnonymousUser) -> Q:
    """Own folders, folders shared with `user` and everything below them; staff: all."""
    if not user.is_authenticated:
        return NOTHING
    if user.is_staff:
        return EVERYTHING
    return Q(owner=user) | Q(_folder_shared_above(user, OuterRef("path"), ANY_ROLE))


def _writable_folders(user: User | AnonymousUser) -> Q:
    """Folders `user` may add to: own, or a folder shared for editing and those below it.

    An editor may change what is inside the shared folder, never the shared
    folder itself: renaming, moving, deleting or sharing it stays with the owner.
    """
    if not user.is_authenticated:
        return NOTHING
    return Q(owner=user) | Q(_folder_shared_above(user, OuterRef("path"), EDITING))


def _movable_folders(user: User | AnonymousUser) -> Q:
    """Folders `user` may rename or move: own, or strictly below a folder shared for editing."""
    if not user.is_authenticated:
        return NOTHING
    return Q(owner=user) | Q(_folder_shared_above(user, OuterRef("path"), EDITING, strictly=True))


def _move_targets(user: User | AnonymousUser, owner_id: object, path: str | None) -> Q:
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
    shares = Share.objects.filter(
        StartsWith(Value(path, output_field=TextField()), F("folder__path")),
        StartsWith(OuterRef("path"), F("folder__path")),
        recipient=user,
        role__in=EDITING,
    )
    return Q(Exists(shares))


def _files_via_link(link: Link) -> Q:
    """What an open download link shows: its file, or every file below its folder.

    A drop link shows nothing: its visitors put files in without seeing any.
    Whether the link is still open (expiry, revocation, limit) is checked by
    the link views before they ask.
    """
    if link.kind != Link.Kind.DOWNLOAD:
        return NOTHING
    if link.folder is None:
        return Q(pk=link.file_id)
    return Q(folder__path__startswith=link.folder.path)


def _folders_via_link(link: Link) -> Q:
    """A folder link's folder and everything below it; nothing for other links."""
    if link.kind != Link.Kind.DOWNLOAD or link.folder is None:
        return NOTHING
    return Q(path__startswith=link.folder.path)


def owned_files(user: User | AnonymousUser) -> QuerySet[UploadedFile]:
    """Files `user` owns: what they may delete and share."""
    return UploadedFile.objects.filter(LIVE, _owned_files(user))


def readable_files(user: User | AnonymousUser) -> QuerySet[UploadedFile]:
    """Files `user` may see and download: own, shared (or below a shared folder), staff."""
    return UploadedFile.objects.filter(LIVE, _readable_files(user))


def writable_files(user: User | AnonymousUser) -> QuerySet[UploadedFile]:
    """Files `user` may rename or move: own, or below a folder shared for editing."""
    return UploadedFile.objects.filter(LIVE, _writable_files(user))


def files_via_link(link: Link) -> QuerySet[UploadedFile]:
    """Files an open public link shows."""
    return UploadedFile.objects.filter(LIVE, _files_via_link(link))


def link_shows_previews(link: Link) -> bool:
    """Whether a link's pages preview its files: not when the link counts downloads.

    A preview sends the bytes (or, for text, shows them) without using a
    download: on a counted link it would be a download nobody counts, and
    counting it would spend the visitor's downloads on looking (a video's
    seeking alone is dozens of Range requests).
    """
    return link.download_limit is None


def previews_via_link(link: Link) -> QuerySet[UploadedFile]:
    """Files whose bytes an open link sends inline, for its pages' previews."""
    if not link_shows_previews(link):
        return UploadedFile.objects.none()
    return files_via_link(link)


def owned_folders(user: User | AnonymousUser) -> QuerySet[Folder]:
    return Folder.objects.filter(LIVE, _owned_folders(user))


def readable_folders(user: User | AnonymousUser) -> QuerySet[Folder]:
    """Folders `user` may browse: own, shared or below a shared folder, staff."""
    return Folder.objects.filter(LIVE, _readable_folders(user))


def writable_folders(user: User | AnonymousUser) -> QuerySet[Folder]:
    """Folders `user` may add to (upload, create, move into): own, or shared for editing."""
    return Folder.objects.filter(LIVE, _writable_folders(user))


def continuable_uploads(user: User | AnonymousUser) -> QuerySet[ResumableUpload]:
    """Unfinished resumable uploads `user` may continue, look at or end: the ones they began.

    Only the creator, not the owner of the folder it goes into: an editor's
    upload into a shared folder is the editor's until it completes.
    """
    if not user.is_authenticated:
        return ResumableUpload.objects.none()
    return ResumableUpload.objects.filter(creator=user)


def uploads_via_link(link: Link, visitor: str) -> QuerySet[ResumableUpload]:
    """Unfinished uploads into a drop `link` that its visitor `visitor` may continue or end.

    `visitor` is the hash of a secret kept in the visitor's link session
    (files.sharing.public.drops): another session, holding the same link, reaches
    none of them, nor does the folder's owner (whose uploads are their own).
    Whether the link is still open is checked by the link views before they ask.
    """
    if link.kind != Link.Kind.DROP or not visitor:
        return ResumableUpload.objects.none()
    return ResumableUpload.objects.filter(link=link, visitor=visitor, creator__isnull=True)


def movable_folders(user: User | AnonymousUser) -> QuerySet[Folder]:
    """Folders `user` may rename or move: own, or inside a folder shared for editing."""
    return Folder.objects.filter(LIVE, _movable_folders(user))


def move_targets(
    user: User | AnonymousUser, owner_id: object, path: str | None
) -> QuerySet[Folder]:
    """Folders `user` may move something of `owner_id`'s, living at `path`, into."""
    return Folder.objects.filter(LIVE, _move_targets(user, owner_id, path))


def folders_via_link(link: Link) -> QuerySet[Folder]:
    """Folders an open public link shows."""
    return Folder.objects.filter(LIVE, _folders_via_link(link))


def files_in(folder: Folder) -> QuerySet[UploadedFile]:
    """The files directly in `folder`, for someone `readable_folders` gave it to: all of them.

    Whatever made the folder readable covers every file in it: its owner owns
    them (the intake and files.folders keep a folder's files its owner's), a
    share of it or of a folder above covers what is below, staff read all. So
    a listing asks no share subquery per file (a WebDAV folder of 10,000).
    files/tests/test_access.py compares it with readable_files.
    """
    return UploadedFile.objects.filter(LIVE, folder=folder)


def folders_in(folder: Folder) -> QuerySet[Folder]:
    """The subfolders of `folder`, for someone `readable_folders` gave it to: as files_in."""
    return Folder.objects.filter(LIVE, parent=folder)


def deletable_files(user: User | AnonymousUser) -> QuerySet[UploadedFile]:
    """Files `user` may send to the trash: own, or below a folder shared with them for editing.

    Into the owner's trash either way: an editor's delete is the owner's to undo.
    """
    return writable_files(user)


def deletable_folders(user: User | AnonymousUser) -> QuerySet[Folder]:
    """Folders `user` may send to the trash: own, or strictly inside a folder shared for editing.

    The shared folder itself stays the owner's to delete, as to rename or move.
    """
    return movable_folders(user)


def trashed_files(user: User | AnonymousUser) -> QuerySet[UploadedFile]:
    """The files of `user`'s trash, each an entry of its own: only the owner restores or purges.

    A trashed item waits at the top level (its place is remembered in
    `trashed_from`); the files inside a trashed folder are that folder's entry.
    """
    return UploadedFile.objects.filter(TRASHED, _owned_files(user), folder__isnull=True)


def trashed_folders(user: User | AnonymousUser) -> QuerySet[Folder]:
    """The folders of `user`'s trash (each with everything that was below it)."""
    return Folder.objects.filter(TRASHED, _owned_folders(user), parent__isnull=True)


def shares_with(user: User | AnonymousUser) -> QuerySet[Share]:
    """What is shared directly with `user`, leaving out what its owner has put in the trash."""
    if not user.is_authenticated:
        return Share.objects.none()
    return Share.objects.filter(
        Q(file__isnull=True) | Q(file__trashed_at__isnull=True),
        Q(folder__isnull=True) | Q(folder__trashed_at__isnull=True),
        recipient=user,
    )


def link_is_live(link: Link) -> bool:
    """Whether the item of `link` is out of the trash: a link to a trashed one opens nothing.

    Kept rather than revoked, so that restoring the item opens the link again.
    """
    return link.item.trashed_at is None


def owned_shares(user: User | AnonymousUser) -> QuerySet[Share]:
    """Shares of files and folders `user` owns: only the owner of an item revokes its shares."""
    return Share.objects.filter(_owned_item(user))


def owned_links(user: User | AnonymousUser) -> QuerySet[Link]:
    """Links to files and folders `user` owns: only the owner of an item revokes its links."""
    return Link.objects.filter(_owned_item(user))


def _owned_item(user: User | AnonymousUser) -> Q:
    return Q(file__in=owned_files(user)) | Q(folder__in=owned_folders(user))


def owns(user: User | AnonymousUser, item: UploadedFile | Folder) -> bool:
    """Whether `user` owns `item`: its owner alone shares it, sees its trail and deletes it."""
    return user.is_authenticated and item.owner_id == user.pk


def may_move(
    user: User | AnonymousUser, owner_id: object, path: str | None, target: Folder | None
) -> bool:
    """Whether `user` may move something of `owner_id`'s, living at `path`, into `target`.

    `target` None is the owner's top level: only the owner moves there, since
    for an editor it would take the item out of the folder shared with them.
    """
    if target is None:
        return user.is_authenticated and owner_id == user.pk
    return move_targets(user, owner_id, path).filter(pk=target.pk).exists()


def sendable(files: QuerySet[UploadedFile], user: User | AnonymousUser) -> QuerySet[UploadedFile]:
    """The files of `files` whose bytes `user` may receive: withheld() as a filter (ZIPs)."""
    sent_to_anyone = Q(scan_status__in=(ScanStatus.CLEAN, ScanStatus.NOT_SCANNED))
    if not user.is_authenticated:
        return files.filter(sent_to_anyone)
    owners_too = [ScanStatus.PENDING]
    if settings.PORTAL_SCAN_UNSCANNABLE == "allow":
        owners_too.append(ScanStatus.TOO_LARGE)
    return files.filter(sent_to_anyone | Q(owner_id=user.pk, scan_status__in=owners_too))


def withheld(upload: UploadedFile | FileVersion, user: User | AnonymousUser) -> str | None:
    """Why `upload`'s bytes may not be sent to `user` (who may read it), or None when they may.

    The quarantine (files.scanning): what ClamAV has not cleared reaches no
    one but its owner. Pending: its owner only (the "being checked" page for
    everyone else: shares, links, staff). Infected: nobody, the owner and
    staff neither (staff release or delete it in the admin). Too large to
    scan: its owner when PORTAL_SCAN_UNSCANNABLE=allow, else nobody. Clean
    and not scanned (scanning off): as anything readable. A door that sends
    bytes, a preview or a thumbnail asks this after its lookup. An earlier
    version of a file (files.history.versions) has its own verdict, on its
    own bytes, and the same rule: the file's owner is the version's.
    """
    status = upload.scan_status
    if status in (ScanStatus.CLEAN, ScanStatus.NOT_SCANNED):
        return None
    if status == ScanStatus.INFECTED:
        return status
    is_owner = user.is_authenticated and upload.owner_id == user.pk
    if status == ScanStatus.PENDING:
        return None if is_owner else status
    # Too large to scan.
    allowed = settings.PORTAL_SCAN_UNSCANNABLE == "allow"
    return None if is_owner and allowed else status


# The download fast path (portal/fastpath.py) asks "may user U read file F?"
# thousands of times a second. Building readable_files(user) for each click
# costs ~0.4 ms of ORM Python; this is the same queryset, compiled once per
# process and database with stand-in ids, then run as one SQL statement with
# the real ids put where the stand-ins were. One rule, not two: whatever
# readable_files() says (shares, folders, staff, a future trash filter), the
# compiled statement says too; files/tests/test_access_compiled.py proves it.
_USER_STAND_IN = -7_310_221_913
_FILE_STAND_IN = uuid.UUID("5eb4a1c2-0d3e-4f5a-8b7c-9d0e1f2a3b4c")


class CompiledReadable:
    """`readable_files(user).filter(pk=file_id)` as one prepared statement, staff or not."""

    def __init__(self, *, staff: bool, using: str = DEFAULT_DB_ALIAS) -> None:
        self.using = using
        stand_in = User(pk=_USER_STAND_IN, is_staff=staff)
        query = readable_files(stand_in).filter(pk=_FILE_STAND_IN).query
        self._compiler = query.get_compiler(using=using)
        sql, params = self._compiler.as_sql()
        connection = connections[using]
        pk = UploadedFile._meta.pk
        if pk is None:  # for mypy: every model has one
            raise AssertionError("UploadedFile has no primary key")
        self._prepare_pk = lambda value: pk.get_db_prep_value(value, connection)
        file_mark = self._prepare_pk(_FILE_STAND_IN)
        self.sql = sql
        self._params = list(params)
        self._user_slots = [i for i, p in enumerate(params) if p == _USER_STAND_IN]
        self._file_slots = [i for i, p in enumerate(params) if p == file_mark]
        # The stand-ins must be where the rule put the user and the file, and only there.
        if len(self._file_slots) != 1 or (not staff and not self._user_slots):
            raise AssertionError(f"cannot compile readable_files: {sql!r} {params!r}")
        self._columns = [column for column, _, _ in self._compiler.select]
        self._converters = self._compiler.get_converters(self._columns)
        self._field_names = [column.target.attname for column in self._columns]

    def statement(self, user_id: int, file_id: uuid.UUID) -> tuple[str, list[Any]]:
        """The SQL (Django's placeholders) and parameters asking for the file, if readable."""
        params = list(self._params)
        for slot in self._user_slots:
            params[slot] = user_id
        params[self._file_slots[0]] = self._prepare_pk(file_id)
        return self.sql, params

    def file(self, row: tuple[object, ...]) -> UploadedFile:
        """The file from a row the statement returned, converted as the ORM converts it."""
        if self._converters:
            [row] = self._compiler.apply_converters([row], self._converters)
        return UploadedFile.from_db(self.using, self._field_names, tuple(row))


def compiled_readable(*, staff: bool, using: str = DEFAULT_DB_ALIAS) -> CompiledReadable:
    """The compiled rule for this process, built on first use (never at import)."""
    key = (staff, using, connections[using].vendor)
    compiled = _compiled.get(key)
    if compiled is None:
        compiled = _compiled[key] = CompiledReadable(staff=staff, using=using)
    return compiled


_compiled: dict[tuple[bool, str, str], CompiledReadable] = {}
