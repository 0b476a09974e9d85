"""The tree a WebDAV client sees, on Portal's rows, rules and intake.

    /dav/                          the user's top-level folders and files
    /dav/<folder>/.../<file>
    /dav/Shared with me/           what others shared with the user: files and
                                   folders, read-only or editable as shared

Every lookup goes through files.access (a stranger's item does not exist:
404); every write through files.uploads.intake or files.folders.tree, whose
typed errors become WebDAV statuses here (ERROR_STATUS). Names are matched
ignoring case and in NFC, as Portal keeps them unique (files.names), so
macOS's decomposed names find their files.

Reference URLs (the keys of locks and dead properties) begin with the user's
namespace, "/u<id>": two users' "/report.txt" are different resources.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple
from urllib.parse import quote, unquote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile as Upload
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower
from wsgidav import util  # type: ignore[import-untyped]
from wsgidav.dav_error import (  # type: ignore[import-untyped]
    HTTP_BAD_REQUEST,
    HTTP_CONFLICT,
    HTTP_FORBIDDEN,
    HTTP_INSUFFICIENT_STORAGE,
    HTTP_METHOD_NOT_ALLOWED,
    HTTP_NOT_FOUND,
    HTTP_REQUEST_ENTITY_TOO_LARGE,
    HTTP_SERVICE_UNAVAILABLE,
    DAVError,
)
from wsgidav.dav_provider import DAVCollection, DAVNonCollection, DAVProvider  # type: ignore[import-untyped]
from wsgidav.lock_man.lock_storage import normalize_lock_root  # type: ignore[import-untyped]
from wsgidav.xml_tools import etree  # type: ignore[import-untyped]

from accounts.models import User
from files import access, delivery
from files.dav import properties, propfind
from files.folders import tree
from files.history import trash
from files.models import Folder, Share, UploadedFile
from files.names import clean_filename, without_unsafe_characters
from files.uploads import intake
from files.uploads.handler import HashedUpload

SHARED = "Shared with me"
OC = "{http://owncloud.org/ns}"
CHECKSUMS = OC + "checksums"
MTIME_PROPS = ("{DAV:}lastmodified", "{DAV:}getlastmodified")
GETCONTENTLENGTH = "{DAV:}getcontentlength"
GETLASTMODIFIED = "{DAV:}getlastmodified"
RESOURCETYPE = "{DAV:}resourcetype"
# The intake's error codes and the WebDAV status each becomes.
ERROR_STATUS = {
    "over_quota": HTTP_INSUFFICIENT_STORAGE,
    "too_large": HTTP_REQUEST_ENTITY_TOO_LARGE,
    "bad_name": HTTP_BAD_REQUEST,
    "name_taken": HTTP_CONFLICT,
    "cycle": HTTP_FORBIDDEN,
    "outside_share": HTTP_FORBIDDEN,
}

Environ = dict[str, Any]
# What wsgidav leaves unquoted in an href (_DAVResource.get_href; Nautilus chokes on "%28").
HREF_SAFE = "/" + "!*'()," + "$-_|."


def refuse(error: ValidationError) -> DAVError:
    """The DAVError for a refusal of the intake or the folder rules, with its words."""
    status = ERROR_STATUS.get(str(error.code), HTTP_BAD_REQUEST)
    return DAVError(status, context_info=" ".join(error.messages))


def forbidden(why: str) -> DAVError:
    return DAVError(HTTP_FORBIDDEN, context_info=why)


def checked_name(name: str) -> str:
    """`name` as a new file or folder may take it; 400 for one Portal would change."""
    cleaned = clean_filename(name)
    if not cleaned or cleaned != unicodedata.normalize("NFC", name):
        raise DAVError(HTTP_BAD_REQUEST, context_info=f"Portal refuses the name {name!r}.")
    return cleaned


def shown(name: str) -> str:
    """`name` without control characters, which XML 1.0 cannot carry.

    The intake never stores one; a row written another way (the admin, a
    script) must still not break a client's PROPFIND. Hrefs are percent-encoded.
    """
    if name.isprintable():
        return name  # the usual case: no character to look at one by one
    return "".join(ch for ch in name if unicodedata.category(ch) != "Cc")


def _named(qs: QuerySet[Any], name: str) -> Any:
    """The member of `qs` called `name`, ignoring case, in NFC; or None."""
    key = unicodedata.normalize("NFC", name)
    return qs.annotate(key=Lower("name")).filter(key=Lower(Value(key))).first()


def _timestamp(value: datetime) -> float:
    return value.timestamp()


class PortalProvider(DAVProvider):
    """Resolves a path for the signed-in user (environ["portal.user"], set by files.dav.app)."""

    def ref_url_to_path(self, ref_url: str) -> str:
        # Inverts _Resource.get_ref_url: drop the "/u<id>" namespace.
        rest = ref_url.split("/", 2)[2] if ref_url.count("/") >= 2 else ""
        return "/" + unquote(rest)

    def custom_request_handler(
        self, environ: Environ, start_response: Any, default_handler: Any
    ) -> Any:
        if environ.get("REQUEST_METHOD") == "PROPFIND":
            return propfind.handle(self, environ, start_response, default_handler)
        return default_handler(environ, start_response)

    def get_resource_inst(self, path: str, environ: Environ) -> Any:
        user: User = environ["portal.user"]
        parts = [p for p in path.strip("/").split("/") if p]
        if any(without_unsafe_characters(part) != part for part in parts):
            return None  # no stored name holds a NUL or a control character; PostgreSQL refuses one
        if not parts:
            return Root(path, environ, user)
        if parts[0] == SHARED:
            if len(parts) == 1:
                return SharedRoot(path, environ, user)
            item = shared_items(user).get(unicodedata.normalize("NFC", parts[1]).lower())
            if item is None:
                return None
            return _walk(path, environ, user, item, parts[2:], shared_root=True)
        return _walk(path, environ, user, None, parts, shared_root=False)


def _walk(
    path: str,
    environ: Environ,
    user: User,
    start: Folder | UploadedFile | None,
    parts: list[str],
    *,
    shared_root: bool,
) -> Any:
    """The resource `parts` names below `start` (None: the user's top level)."""
    if isinstance(start, UploadedFile):
        return FileResource(path, environ, user, start) if not parts else None
    folder = start
    for index, name in enumerate(parts):
        last = index == len(parts) - 1
        if folder is None:
            folders = access.readable_folders(user).filter(owner=user, parent=None)
        else:
            folders = access.readable_folders(user).filter(parent=folder)
        found = _named(folders, name)
        if found is not None:
            folder = found
            continue
        if not last:
            return None
        if folder is None:
            files = access.readable_files(user).filter(owner=user, folder=None)
        else:
            files = access.readable_files(user).filter(folder=folder)
        stored = _named(files.select_related("folder"), name)
        return None if stored is None else FileResource(path, environ, user, stored)
    if folder is None:
        return Root(path, environ, user)
    return FolderResource(path, environ, user, folder, shared_root=shared_root and not parts)


def shared_items(user: User) -> dict[str, Folder | UploadedFile]:
    """What others shared with `user`, by the lowered name it has under "Shared with me".

    Two items of the same name (from two people) are told apart by their
    owner's username: "Photos (bob)".
    """
    shares = (
        Share.objects.filter(recipient=user)
        .exclude(Q(file__owner=user) | Q(folder__owner=user))
        # Nothing in the owner's trash (files.history): gone for everyone it was shared with.
        .exclude(Q(file__trashed_at__isnull=False) | Q(folder__trashed_at__isnull=False))
        .select_related("file__owner", "folder__owner")
        .order_by("created")
    )
    items: dict[str, Folder | UploadedFile] = {}
    for share in shares:
        item = share.item
        name = item.name
        if name.lower() in items:
            name = f"{item.name} ({item.owner.get_username()})"
        items[name.lower()] = item
    return items


LOCK_ROOTS = "portal.dav.lock_roots"
LOCKDISCOVERY = "{DAV:}lockdiscovery"
SUPPORTEDLOCK = "{DAV:}supportedlock"
SHARED_ELEMENTS = "portal.dav.shared_elements"


class _Resource:
    """What every Portal resource has: its user, and URLs in the user's namespace."""

    environ: Environ
    path: str
    user: User
    provider: Any

    def get_ref_url(self) -> str:
        # Asked ten times per resource in a PROPFIND (locks, properties): once is enough.
        cached: str | None = self.__dict__.get("_ref_url")
        if cached is None:
            preferred = self.get_preferred_path()  # type: ignore[attr-defined]
            cached = self.__dict__["_ref_url"] = f"/u{self.user.pk}" + quote(preferred)
        return cached

    def get_property_value(self, name: str) -> Any:
        if name == LOCKDISCOVERY and not self._maybe_locked():
            # No lock: the empty element, no query.
            return self._same_for_all(name, lambda: etree.Element(LOCKDISCOVERY))
        if name == SUPPORTEDLOCK:
            generic = super().get_property_value  # type: ignore[misc]
            return self._same_for_all(name, lambda: generic(name))
        return super().get_property_value(name)  # type: ignore[misc]

    def _same_for_all(self, name: str, build: Callable[[], Any]) -> Any:
        """One element a request for every resource: files.dav.propfind writes it once."""
        shared = self.environ.setdefault(SHARED_ELEMENTS, {})
        if name not in shared:
            shared[name] = build()
        return shared[name]

    def _maybe_locked(self) -> bool:
        """Whether a lock is rooted here: one lookup of the user's lock roots per request."""
        manager = self.provider.lock_manager
        if manager is None:
            return False
        if self.environ.get("REQUEST_METHOD") != "PROPFIND":
            return True  # a LOCK's answer must see the lock it just took
        roots = self.environ.get(LOCK_ROOTS)
        if roots is None:
            locks = manager.storage.get_lock_list(
                f"/u{self.user.pk}", include_root=True, include_children=True, token_only=False
            )
            roots = self.environ[LOCK_ROOTS] = {lock["root"] for lock in locks}
        return normalize_lock_root(self.get_ref_url()) in roots


class _Collection(_Resource, DAVCollection):
    """A folder-like resource; members are listed from two queries, not one per member."""

    def __init__(self, path: str, environ: Environ, user: User) -> None:
        DAVCollection.__init__(self, path, environ)
        self.user = user

    def folders(self) -> QuerySet[Folder]:
        raise NotImplementedError

    def files(self) -> QuerySet[UploadedFile]:
        raise NotImplementedError

    def extra_members(self) -> list[Any]:
        return []

    def _child_path(self, name: str) -> str:
        return util.join_uri(self.path, name)

    def get_member_list(self) -> list[Any]:
        if self.provider.prop_manager is not None:
            properties.prefetch(self.environ, self.get_ref_url())
        members = self.extra_members()
        members += [
            FolderResource(self._child_path(f.name), self.environ, self.user, f)
            for f in self.folders()
        ]
        # Files as rows, not model instances: a folder of 10,000 files is one
        # query and no per-file work but quoting its name (ListedFile).
        here = self.path.rstrip("/") + "/"
        ref_base = f"/u{self.user.pk}" + quote(here)
        mounted = self.provider.mount_path + self.provider.share_path
        href_base = quote(mounted + here, safe=HREF_SAFE)
        members += [
            ListedFile(here + row.name, self.environ, self.user, row, ref_base, href_base)
            for row in map(Listed._make, self.files().values_list(*Listed._fields))
        ]
        return members

    def get_member_names(self) -> list[str]:
        return [m.name for m in self.get_member_list()]

    def get_member(self, name: str) -> Any:
        return self.provider.get_resource_inst(self._child_path(name), self.environ)

    def get_display_name(self) -> str:
        return shown(self.name)

    def support_recursive_delete(self) -> bool:
        return True

    def support_recursive_move(self, dest_path: str) -> bool:
        return True

    # What a write into this collection stores under: the owner and folder.
    def target(self) -> tuple[User, Folder | None]:
        raise forbidden("Nothing can be stored here.")

    def create_collection(self, name: str) -> None:
        owner, folder = self.target()
        try:
            tree.create_folder(owner, folder, checked_name(name))
        except ValidationError as error:
            raise refuse(error) from error

    def create_empty_resource(self, name: str) -> Any:
        owner, folder = self.target()
        pending = FileResource(
            self._child_path(name), self.environ, self.user, None, place=(owner, folder)
        )
        pending.name_to_store = checked_name(name)
        if self.environ.get("REQUEST_METHOD") != "PUT":
            # A LOCK of an unmapped URL creates an empty file (RFC 4918 9.10.4).
            pending.store_empty()
        return pending


class Root(_Collection):
    """/dav/: the user's top level, with "Shared with me" beside their folders."""

    def folders(self) -> QuerySet[Folder]:
        return access.readable_folders(self.user).filter(owner=self.user, parent=None)

    def files(self) -> QuerySet[UploadedFile]:
        return access.readable_files(self.user).filter(owner=self.user, folder=None)

    def extra_members(self) -> list[Any]:
        return [SharedRoot(self._child_path(SHARED), self.environ, self.user)]

    def target(self) -> tuple[User, Folder | None]:
        return self.user, None

    def create_collection(self, name: str) -> None:
        if name.lower() == SHARED.lower():
            raise forbidden(f"“{SHARED}” is where shared items appear; pick another name.")
        super().create_collection(name)

    def create_empty_resource(self, name: str) -> Any:
        if name.lower() == SHARED.lower():
            raise forbidden(f"“{SHARED}” is where shared items appear; pick another name.")
        return super().create_empty_resource(name)

    def get_used_bytes(self) -> int:
        return self.user.storage_used()

    def get_available_bytes(self) -> int | None:
        quota = self.user.effective_quota()
        if quota is None:
            return None
        return max(quota - self.user.storage_used(), 0)

    def delete(self) -> None:
        raise forbidden("The top level cannot be deleted.")

    def get_last_modified(self) -> None:
        return None


class SharedRoot(_Collection):
    """/dav/Shared with me/: what others shared; nothing can be added here itself."""

    def get_member_list(self) -> list[Any]:
        members: list[Any] = []
        for name, item in shared_items(self.user).items():
            shown = item.name if name == item.name.lower() else name
            path = self._child_path(shown)
            if isinstance(item, Folder):
                members.append(
                    FolderResource(path, self.environ, self.user, item, shared_root=True)
                )
            else:
                members.append(FileResource(path, self.environ, self.user, item))
        return members

    def delete(self) -> None:
        raise forbidden(f"“{SHARED}” cannot be deleted.")

    def handle_move(self, dest_path: str) -> bool:
        raise forbidden(f"“{SHARED}” cannot be moved.")

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> bool:
        raise forbidden(f"“{SHARED}” cannot be copied.")


class FolderResource(_Collection):
    def __init__(
        self, path: str, environ: Environ, user: User, folder: Folder, *, shared_root: bool = False
    ) -> None:
        super().__init__(path, environ, user)
        self.folder = folder
        # A folder shared with the user, seen under "Shared with me": its
        # contents may be editable, the folder itself stays its owner's.
        self.shared_root = shared_root

    # self.folder came through access.readable_folders: that covers what is in it.
    def folders(self) -> QuerySet[Folder]:
        return access.folders_in(self.folder)

    def files(self) -> QuerySet[UploadedFile]:
        return access.files_in(self.folder)

    def writable(self) -> bool:
        return access.writable_folders(self.user).filter(pk=self.folder.pk).exists()

    def target(self) -> tuple[User, Folder | None]:
        if not self.writable():
            raise forbidden(f"“{self.folder.name}” is shared with you read-only.")
        return self.folder.owner, self.folder

    def get_creation_date(self) -> float:
        return _timestamp(self.folder.created)

    def get_last_modified(self) -> float:
        return _timestamp(self.folder.created)

    def get_etag(self) -> None:
        return None

    def delete(self) -> None:
        # As the browser's delete: the owner, or an editor strictly inside a
        # share; into the owner's trash either way.
        if not access.deletable_folders(self.user).filter(pk=self.folder.pk).exists():
            raise forbidden(f"Only the owner of “{self.folder.name}” can delete it.")
        trash.trash_folder(self.folder, by=self.user)
        self.remove_all_properties(recursive=True)
        self.remove_all_locks(recursive=True)

    def copy_move_single(self, dest_path: str, *, is_move: bool) -> None:
        # A copy, one level at a time (wsgidav walks the tree): the folder alone.
        if is_move:  # moves go through move_recursive
            raise forbidden("This folder cannot be moved this way.")
        existing = self.provider.get_resource_inst(dest_path, self.environ)
        if isinstance(existing, _Collection):
            return  # COPY onto a folder with Overwrite: T merges into it
        parent, name = _destination(self.provider, self.environ, dest_path)
        parent.create_collection(name)

    def move_recursive(self, dest_path: str) -> list[Any]:
        if (
            self.shared_root
            or not access.movable_folders(self.user).filter(pk=self.folder.pk).exists()
        ):
            raise forbidden(f"Only the owner of “{self.folder.name}” can move or rename it.")
        parent, name = _destination(self.provider, self.environ, dest_path)
        owner, target = parent.target()
        if owner.pk != self.folder.owner_id:
            raise forbidden("A folder moves only inside its owner's files.")
        name = checked_name(name)
        try:
            if name != self.folder.name:
                tree.rename_folder(self.folder, name)
            tree.move_folder(self.folder, target, by=self.user)
        except ValidationError as error:
            raise refuse(error) from error
        _move_metadata(self, dest_path)
        return []


class Listed(NamedTuple):
    """What a listing shows of a file: one row of its folder's query (values_list)."""

    pk: uuid.UUID
    name: str
    size: int
    content_type: str
    created: datetime
    modified: datetime
    sha1: str
    sha256: str
    file: str  # the storage key

    @classmethod
    def of(cls, stored: UploadedFile) -> Listed:
        return cls(
            stored.pk,
            stored.name,
            stored.size,
            stored.content_type,
            stored.created,
            stored.modified,
            stored.sha1,
            stored.sha256,
            stored.file.name,
        )


class FileResource(_Resource, DAVNonCollection):
    """A stored file; or, during a PUT to a new name, the file about to be stored."""

    def __init__(
        self,
        path: str,
        environ: Environ,
        user: User,
        stored: UploadedFile | None,
        *,
        place: tuple[User, Folder | None] | None = None,
    ) -> None:
        DAVNonCollection.__init__(self, path, environ)
        self.user = user
        self.stored = stored
        self.place = place
        self.name_to_store = ""
        self.incoming: HashedUpload | None = None
        self._etag: str | None = None

    # Reading: every property from `facts`, the one place that knows the row.
    @property
    def facts(self) -> Listed | None:
        return None if self.stored is None else Listed.of(self.stored)

    def get_content_length(self) -> int:
        facts = self.facts
        return facts.size if facts else 0

    def get_content_type(self) -> str:
        facts = self.facts
        return facts.content_type if facts else "application/octet-stream"

    def get_creation_date(self) -> float | None:
        facts = self.facts
        return _timestamp(facts.created) if facts else None

    def get_last_modified(self) -> float | None:
        facts = self.facts
        return _timestamp(facts.modified) if facts else None

    def get_display_name(self) -> str:
        return shown(self.name)

    def get_etag(self) -> str | None:
        facts = self.facts
        if facts is None:
            return None
        if self._etag is None:
            self._etag = delivery.etag(facts.file, facts.sha256)
        return self._etag

    def support_etag(self) -> bool:
        return True

    def support_ranges(self) -> bool:
        return True

    def get_content(self) -> Any:
        # GET is answered by files.dav.app through files.delivery; this serves
        # wsgidav's own uses (none on our paths) and the tests.
        return self._stored().file.open("rb")

    def get_property_names(self, *, is_allprop: bool) -> list[str]:
        names: list[str] = super().get_property_names(is_allprop=is_allprop)
        facts = self.facts
        if facts is not None and facts.sha1:
            names.append(CHECKSUMS)
        return names

    def get_property_value(self, name: str) -> Any:
        facts = self.facts
        if facts is None:
            return super().get_property_value(name)
        # What a listing asks of every file, from the row, as wsgidav writes
        # it: its generic route asks the reference URL, the lock manager and
        # each getter twice (files/tests/test_dav_propfind.py compares them).
        if name == GETCONTENTLENGTH:
            return str(facts.size)
        if name == GETLASTMODIFIED:
            return util.get_rfc1123_time(_timestamp(facts.modified))
        if name == RESOURCETYPE:
            return ""
        if name == CHECKSUMS and facts.sha1:
            # As ownCloud and Nextcloud write it; rclone's nextcloud vendor reads it.
            element = etree.Element(CHECKSUMS)
            etree.SubElement(element, OC + "checksum").text = f"SHA1:{facts.sha1}"
            return element
        return super().get_property_value(name)

    # Changing.
    def writable(self) -> bool:
        if self.stored is None:
            return True  # its collection's target() checked already
        return access.writable_files(self.user).filter(pk=self.stored.pk).exists()

    def _stored(self) -> UploadedFile:
        if self.stored is None:
            raise DAVError(HTTP_NOT_FOUND)
        return self.stored

    def _require_writable(self) -> UploadedFile:
        stored = self._stored()
        if not self.writable():
            raise forbidden(f"“{stored.name}” is shared with you read-only.")
        return stored

    def set_property_value(self, name: str, value: Any, *, dry_run: bool = False) -> Any:
        self._require_writable()
        if name in MTIME_PROPS and value is not None:
            return self.set_last_modified(self.path, value.text or "", dry_run=dry_run)
        if name == CHECKSUMS:
            # rclone resends the SHA-1 with a new mtime; Portal keeps the one it computed.
            return None
        return super().set_property_value(name, value, dry_run=dry_run)

    def set_last_modified(self, dest_path: str, time_stamp: Any, *, dry_run: bool) -> bool:
        """Set `modified` from X-OC-Mtime or a PROPPATCH: Unix seconds or an HTTP date."""
        stored = self._require_writable()
        text = str(time_stamp).strip()
        try:
            if text.lstrip("-").isdigit():
                modified = datetime.fromtimestamp(int(text), tz=UTC)
            else:
                modified = parsedate_to_datetime(text)
        except (ValueError, OverflowError, OSError, TypeError) as error:
            raise DAVError(HTTP_BAD_REQUEST, context_info="Not a modification time.") from error
        if modified.tzinfo is None:
            modified = modified.replace(tzinfo=UTC)
        if not dry_run:
            UploadedFile.objects.filter(pk=stored.pk).update(modified=modified)
            stored.modified = modified
        return True

    def begin_write(self, *, content_type: str | None = None) -> Any:
        if self.stored is not None:
            self._require_writable()
        size = util.get_content_length(self.environ)
        if size:
            # A first check before the bytes arrive; the intake checks again under the lock.
            owner = self.place[0] if self.place else self.stored.owner  # type: ignore[union-attr]
            name = self.name_to_store or self.stored.name  # type: ignore[union-attr]
            try:
                intake.check_size(name, size)
                intake.check_quota(
                    owner, size - (self.stored.size if self.stored else 0), make_room=False
                )
            except ValidationError as error:
                raise refuse(error) from error
        self.incoming = HashedUpload(self.name_to_store or self.name, "", 0, None)
        return _Writer(self.incoming)

    def end_write(self, *, with_errors: bool) -> None:
        incoming = self.incoming
        if incoming is None:
            return
        try:
            if with_errors:
                return
            incoming.size = incoming.tell()
            incoming.seek(0)
            _verify_checksum(self.environ, incoming)
            self._store(incoming)
        finally:
            incoming.close()
            self.incoming = None

    def _store(self, incoming: Upload) -> None:
        try:
            if self.stored is not None:
                self.stored = intake.replace_file(self._require_writable(), incoming, by=self.user)
            elif self.place is not None:
                owner, folder = self.place
                described = intake.accept_incoming(incoming, self.name_to_store)
                self.stored = intake.store_uploads(owner, [described], folder, by=self.user)[0]
            self._etag = None
        except ValidationError as error:
            raise refuse(error) from error
        except intake.StoreUnavailable as error:
            raise DAVError(
                HTTP_SERVICE_UNAVAILABLE, context_info="Storage is unavailable."
            ) from error

    def store_empty(self) -> None:
        incoming = HashedUpload(self.name_to_store, "", 0, None)
        try:
            self._store(incoming)
        finally:
            incoming.close()

    def delete(self) -> None:
        if self.stored is None:
            return
        if not access.deletable_files(self.user).filter(pk=self.stored.pk).exists():
            raise forbidden(f"“{self.stored.name}” is shared with you read-only.")
        trash.trash_file(self.stored, by=self.user)
        self.remove_all_properties(recursive=True)
        self.remove_all_locks(recursive=True)

    def support_recursive_move(self, dest_path: str) -> bool:
        return True

    def move_recursive(self, dest_path: str) -> list[Any]:
        self.copy_move_single(dest_path, is_move=True)
        return []

    def copy_move_single(self, dest_path: str, *, is_move: bool) -> None:
        source = self._stored()
        parent, name = _destination(self.provider, self.environ, dest_path)
        owner, target = parent.target()
        name = checked_name(name)
        if not is_move:
            copy = self.provider.get_resource_inst(dest_path, self.environ)
            if not isinstance(copy, FileResource):
                # Nothing there yet (wsgidav removed what Overwrite: T replaces).
                copy = FileResource(dest_path, self.environ, self.user, None, place=(owner, target))
                copy.name_to_store = name
            with source.file.open("rb") as opened:
                copy._store(Upload(opened, name=name, size=source.size))
            self.provider.prop_manager and self.provider.prop_manager.copy_properties(
                self.get_ref_url(), copy.get_ref_url(), self.environ
            )
            return
        stored = self._require_writable()
        if owner.pk != stored.owner_id:
            raise forbidden("A file moves only inside its owner's files.")
        try:
            if stored.folder_id != (target.pk if target else None):
                if not tree.move_files(self.user, [stored.pk], target):
                    raise forbidden(f"“{stored.name}” cannot be moved there.")
                stored.refresh_from_db()
            if name != stored.name:
                intake.rename_file(stored, name)
        except ValidationError as error:
            raise refuse(error) from error
        _move_metadata(self, dest_path)


class ListedFile(FileResource):
    """A file met in its folder's listing: properties from the listing's row.

    A PROPFIND of the folder asks nothing else of it. Anything that needs the
    model (a copy, a move, a delete inside a folder wsgidav walks) loads it
    through files.access on first use.
    """

    def __init__(
        self, path: str, environ: Environ, user: User, listed: Listed, ref_base: str, href_base: str
    ) -> None:
        self._loaded: UploadedFile | None = None
        self.listed: Listed | None = listed
        super().__init__(path, environ, user, None)
        self.listed = listed
        self.ref_base = ref_base
        self.href = href_base + quote(listed.name, safe=HREF_SAFE)

    @property
    def stored(self) -> UploadedFile | None:
        if self._loaded is None and self.listed is not None:
            found = access.readable_files(self.user).filter(pk=self.listed.pk).first()
            if found is None:
                raise DAVError(HTTP_NOT_FOUND)  # gone since the listing
            self._loaded = found
        return self._loaded

    @stored.setter
    def stored(self, value: UploadedFile | None) -> None:
        self._loaded = value
        self.listed = None if value is None else Listed.of(value)

    @property
    def facts(self) -> Listed | None:
        return self.listed

    def get_href(self) -> str:
        return self.href

    def get_ref_url(self) -> str:
        # Only locks and dead properties (allprop) ask it: quoted when asked.
        cached: str | None = self.__dict__.get("_ref_url")
        if cached is None:
            cached = self.__dict__["_ref_url"] = self.ref_base + quote(self.name)
        return cached


class _Writer:
    """The file wsgidav writes a PUT body into: digests on the way, no size cap in memory.

    wsgidav closes it after the last chunk; the temporary file must live on
    until end_write has given it to the intake, so close() only flushes.
    """

    def __init__(self, incoming: HashedUpload) -> None:
        self.incoming = incoming
        self.limit = settings.PORTAL_MAX_UPLOAD_SIZE
        self.written = 0

    def write(self, data: bytes) -> None:
        self.written += len(data)
        if self.written > self.limit:
            raise DAVError(HTTP_REQUEST_ENTITY_TOO_LARGE, context_info="The file is too large.")
        self.incoming.write_chunk(data)

    def writelines(self, chunks: Iterator[bytes]) -> None:
        for chunk in chunks:
            self.write(chunk)

    def close(self) -> None:
        self.incoming.flush()


def _verify_checksum(environ: Environ, incoming: HashedUpload) -> None:
    """Refuse a PUT whose `OC-Checksum: SHA1:<hex>` names other bytes than arrived."""
    header = environ.get("HTTP_OC_CHECKSUM", "").strip()
    for claim in header.split():
        kind, _, value = claim.partition(":")
        if kind.upper() == "SHA1" and value.lower() != incoming.digests.sha1:
            raise DAVError(
                HTTP_BAD_REQUEST,
                context_info="The body does not match its OC-Checksum: nothing was stored.",
            )


def _destination(
    provider: PortalProvider, environ: Environ, dest_path: str
) -> tuple[_Collection, str]:
    """The collection a COPY or MOVE writes into, and the new name."""
    parent = provider.get_resource_inst(util.get_uri_parent(dest_path) or "/", environ)
    if not isinstance(parent, _Collection):
        raise DAVError(HTTP_CONFLICT, context_info="The destination's folder does not exist.")
    if isinstance(parent, SharedRoot):
        raise forbidden(f"Nothing can be put into “{SHARED}” itself.")
    return parent, util.get_uri_name(dest_path)


def _move_metadata(resource: Any, dest_path: str) -> None:
    """Dead properties follow a moved resource; its locks do not (RFC 4918 7.7)."""
    manager = resource.provider.prop_manager
    if manager is None:
        return
    dest_url = f"/u{resource.user.pk}" + quote(dest_path)
    manager.move_properties(
        resource.get_ref_url(), dest_url, with_children=True, environ=resource.environ
    )
    resource.remove_all_locks(recursive=True)


__all__ = ["HTTP_METHOD_NOT_ALLOWED", "PortalProvider", "SHARED"]
