"""What goes into a folder's ZIP: the entries, named and ordered, from querysets already allowed.

The caller passes querysets from files.access (`readable_files(user)`, a
link's `files_via_link(link)`...), so every file and folder in the archive has
passed the same rule as a download of it would; this module only narrows them
to the subtree, names each entry by its place below the archive's root, and
orders them. files.delivery.zip then turns the entries into bytes.

Two queries, whatever the size of the tree; the entries are sorted here, in
code-point order of their path, so the order (and so the bytes) never depends
on a database's collation.
"""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.core.files.storage import default_storage
from django.db.models import QuerySet

from files.delivery.zip import CHUNK_SIZE, Entry
from files.models import Folder, UploadedFile
from files.names import numbered

# Control and format characters never reach a name inside the archive.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


@dataclass(frozen=True)
class Contents:
    """The entries of one archive and how many of them are files (the audit row's count)."""

    entries: list[Entry]
    files: int


def safe_component(name: str) -> str:
    """One path component: no separator, no control character, never "", "." or ".."."""
    cleaned = "".join(
        "_" if ch in "/\\" else ch
        for ch in name
        if unicodedata.category(ch) not in _UNSAFE_CATEGORIES
    ).strip()
    return cleaned if cleaned not in {"", ".", ".."} else "_"


def collect(
    root: Folder | None, folders: QuerySet[Folder], files: QuerySet[UploadedFile]
) -> Contents:
    """The entries of `root` (None: the whole of what `folders` and `files` hold) and below.

    `folders` and `files` are what the visitor may read; a folder or file whose
    chain of folders up to `root` is not all in `folders` is left out.
    Directories get an entry of their own, so empty folders survive the trip.
    """
    if root is not None:
        folders = folders.filter(path__startswith=root.path)
        files = files.filter(folder__path__startswith=root.path)
    depth = len(root.path.strip("/").split("/")) - 1 if root is not None else 0
    rows = {
        str(pk): (name, path, created)
        for pk, name, path, created in folders.values_list("pk", "name", "path", "created")
    }

    def place(path: str) -> list[str] | None:
        ids = path.strip("/").split("/")[depth:]
        names = []
        for folder_id in ids:
            row = rows.get(folder_id)
            if row is None:
                return None
            names.append(safe_component(row[0]))
        return names

    named: list[tuple[list[str], Entry]] = []
    for _name, path, created in rows.values():
        parts = place(path)
        if parts is not None:
            named.append((parts, Entry(name="/".join(parts) + "/", modified=created)))
    count = 0
    for folder_path, entry in _file_entries(files):
        above = place(folder_path) if folder_path is not None else []
        if above is None or (root is not None and folder_path is None):
            continue
        parts = [*above, entry.name]
        named.append((parts, _renamed(entry, "/".join(parts))))
        count += 1
    return _sorted(named, count)


def collect_picked(
    picked_folders: Iterable[Folder],
    picked_files: QuerySet[UploadedFile],
    folders: QuerySet[Folder],
    files: QuerySet[UploadedFile],
) -> Contents:
    """A selection from the list: each picked folder as `collect` makes it, and each picked file.

    Both side by side at the archive's root, wherever they were (a search
    shows files from several folders). Two queries per picked folder and one
    for the files: a selection is at most a page of rows.
    """
    named: list[tuple[list[str], Entry]] = []
    count = 0
    for folder in picked_folders:
        contents = collect(folder, folders, files)
        named += [(entry.name.rstrip("/").split("/"), entry) for entry in contents.entries]
        count += contents.files
    for _, entry in _file_entries(picked_files):
        named.append(([entry.name], entry))
        count += 1
    return _sorted(named, count)


def _file_entries(files: QuerySet[UploadedFile]) -> Iterable[tuple[str | None, Entry]]:
    """Each file's folder path and its entry, named by the file's own (cleaned) name."""
    file_rows = files.values_list(
        "pk", "name", "folder__path", "file", "size", "crc32", "modified"
    ).order_by()
    for pk, name, folder_path, key, size, crc32, modified in file_rows:
        if crc32 is None:
            crc32 = _fill_in_crc32(pk, key)
        name = safe_component(name)
        yield folder_path, Entry(name=name, modified=modified, key=key, size=size, crc32=crc32)


def _sorted(named: list[tuple[list[str], Entry]], files: int) -> Contents:
    named.sort(key=lambda item: (item[0], item[1].is_directory))
    return Contents(_unique(entry for _, entry in named), files)


def _unique(entries: Iterable[Entry]) -> list[Entry]:
    """The entries, a name met twice ignoring case (after cleaning) numbered like an upload.

    The database keeps names unique per place ignoring case already; two names
    can only meet here when cleaning made them equal ("a/b" and "a_b").
    """
    seen: set[str] = set()
    unique: list[Entry] = []
    for entry in entries:
        name = entry.name
        number = 0
        while name.casefold() in seen:
            number += 1
            trailing = "/" if entry.is_directory else ""
            head, _, last = entry.name.rstrip("/").rpartition("/")
            name = (head + "/" if head else "") + numbered(last, number) + trailing
        seen.add(name.casefold())
        unique.append(entry if name == entry.name else _renamed(entry, name))
    return unique


def _renamed(entry: Entry, name: str) -> Entry:
    return Entry(
        name=name, modified=entry.modified, key=entry.key, size=entry.size, crc32=entry.crc32
    )


def _fill_in_crc32(pk: UUID, key: str) -> int:
    """A file stored before CRC-32s were kept, whose object migration 0008 could not read.

    Read once now and remembered, so the next archive does not read it again.
    """
    crc32 = 0
    with default_storage.open(key, "rb") as source:
        while chunk := source.read(CHUNK_SIZE):
            crc32 = zlib.crc32(chunk, crc32)
    UploadedFile.objects.filter(pk=pk).update(crc32=crc32)
    return crc32
