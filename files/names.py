"""Names of files and folders: what a name may look like, and whether it is free in a place.

What a user's filename may look like: the name is only ever stored in the
database and sent back in a Content-Disposition header; it never becomes part
of a path on disk.

Whether a name is free in a place: a place is a folder, or one owner's top
level. In it, no two files, no two folders and no file and folder share a name,
ignoring case (as Windows and macOS see them, and as Nextcloud has it: a
download or a sync there must not collide). The two same-kind rules are also
unique constraints; the file and folder one only this module keeps, under the
owner's row lock that every change of a name or of stored bytes in the owner's
tree takes (lock_owner).
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower

from accounts.models import User
from files.contract import FALLBACK_NAME_CHARACTERS
from files.models import Folder, UploadedFile

MAX_NAME_LENGTH = 255
_NOT_FALLBACK_SAFE = re.compile(f"[^{FALLBACK_NAME_CHARACTERS}]+")
# Windows opens a device, not a file, for these names with any extension.
_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in "123456789"}
)

# The HTML standard's multipart/form-data encoding writes `"`, CR and LF in a
# filename as %22, %0D and %0A (and nothing else), and Django's parser hands
# the header on as it came. Only these three are undone: a name that really
# contains "%41" must keep it, so this is not a general percent-decoding.
# The browser leaves "%" itself alone, so a file really named `50%22off` is
# stored as `50"off`: the standard made the two indistinguishable.
_FORM_ESCAPES = {"%22": '"', "%0D": "\r", "%0A": "\n"}

# Cc: control characters (NUL, CR, LF...); Cf: format characters (right-to-left
# override, zero-width space...), which let a name pretend to be another one;
# Zl, Zp: the line and paragraph separators, which break a name across lines.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}


def unescape_form_filename(name: str) -> str:
    """The filename a browser meant, from the `filename=` of a multipart header.

    CR and LF come back only to be removed by clean_filename(), so a name
    that held them does not keep the literal text "%0A".
    """
    for escape, char in _FORM_ESCAPES.items():
        name = name.replace(escape, char)
    return name


def without_unsafe_characters(text: str) -> str:
    """`text` without the characters no stored name holds (control, format, separators)."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in _UNSAFE_CATEGORIES)


def clean_filename(name: str) -> str:
    """The name without directories, control or format characters, at most 255 characters.

    Returns "" when nothing usable is left; callers treat that as invalid.
    """
    name = without_unsafe_characters(name)
    # After the removal: a format character can sit between a letter and its accent.
    name = unicodedata.normalize("NFC", name)
    name = posixpath.basename(name.replace("\\", "/")).strip()
    if name in {".", ".."}:
        return ""
    return _shorten(name)


def ascii_fallback(name: str) -> str:
    """The ASCII stand-in for a cleaned name in Content-Disposition's `filename=`.

    RFC 6266 section 4.3: clients that ignore `filename*` (curl -OJ) save the
    file under this one. Accents are dropped ("été" -> "ete"), and every run of
    other characters becomes one "_", so the extension survives and the name
    needs no quoting anywhere. A name made only of safe characters is its own
    fallback, unless it is a Windows device name (CON, NUL.txt...).
    """
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    fallback = _NOT_FALLBACK_SAFE.sub("_", ascii_only)
    # Windows ignores trailing dots and spaces: "con .txt" is CON too.
    if ascii_only.split(".", 1)[0].rstrip(" .").upper() in _WINDOWS_DEVICES:
        fallback = "_" + fallback  # curl -OJ on Windows would write to the device
    fallback = _shorten(fallback)
    return fallback if fallback not in {"", ".", ".."} else "download"


def _shorten(name: str) -> str:
    """At most MAX_NAME_LENGTH characters, keeping a short extension."""
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: MAX_NAME_LENGTH - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


# ".tar.gz" and friends: "archive.tar.gz" numbers as "archive (1).tar.gz".
_COMPOUND_EXTENSION = re.compile(r"\.tar\.[A-Za-z0-9]{1,8}$", re.IGNORECASE)
# The " (3)" a numbered copy ends its stem with: numbering it again counts on.
_NUMBER = re.compile(r" \((\d{1,9})\)$")


def split_extension(name: str) -> tuple[str, str]:
    """`name` as (stem, extension): "report.pdf" -> ("report", ".pdf").

    An extension is what _shorten keeps too: at most 16 characters after the
    last dot. A leading dot starts a name, not an extension (".bashrc").
    """
    compound = _COMPOUND_EXTENSION.search(name)
    if compound and compound.start() > 0:
        return name[: compound.start()], name[compound.start() :]
    stem, dot, ext = name.rpartition(".")
    if dot and stem and 0 < len(ext) <= 16:
        return stem, dot + ext
    return name, ""


def numbered(name: str, number: int) -> str:
    """The name of copy `number` of `name`: "report (2).pdf", within MAX_NAME_LENGTH.

    A name that is itself a numbered copy is numbered afresh ("report (1).pdf"
    -> "report (2).pdf"), never "report (1) (1).pdf". A long stem is cut so
    that the number and the extension stay.
    """
    stem, ext = split_extension(name)
    stem = _NUMBER.sub("", stem)
    suffix = f" ({number}){ext}"
    return stem[: MAX_NAME_LENGTH - len(suffix)] + suffix


def numbered_base(name: str) -> str:
    """What every numbered copy of `name` starts with, however long its number and stem."""
    stem, ext = split_extension(name)
    return _NUMBER.sub("", stem)[: MAX_NAME_LENGTH - len(f" (999999999){ext}")]


Kind = Literal["file", "folder"]
# How many numbered copies a name may have before an upload is refused.
MAX_COPIES = 10_000


def lock_owner(owner_id: int) -> User:
    """Lock the row of the owner of a tree, and return it freshly read.

    Every change of a name, of a folder's place or of the bytes an owner
    stores takes it, so they run one at a time per owner: two uploads cannot
    both pass the quota nor pick the same free name, two crossing folder moves
    cannot make a cycle, and a recount sees no upload half done. Call it
    inside a transaction.
    """
    return User.objects.select_for_update().get(pk=owner_id)


def files_in(owner_id: int, folder: Folder | None) -> QuerySet[UploadedFile]:
    if folder is None:
        # Trashed items wait at the top level too, holding no name there.
        return UploadedFile.objects.filter(owner_id=owner_id, folder=None, trashed_at=None)
    return UploadedFile.objects.filter(folder=folder)


def folders_in(owner_id: int, folder: Folder | None) -> QuerySet[Folder]:
    if folder is None:
        return Folder.objects.filter(owner_id=owner_id, parent=None, trashed_at=None)
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


def file_named(owner_id: int, folder: Folder | None, name: str) -> UploadedFile | None:
    """The file that holds `name` in the place (ignoring case, as the constraints do), if any."""
    return files_in(owner_id, folder).annotate(key=Lower("name")).filter(_named([name])).first()


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
