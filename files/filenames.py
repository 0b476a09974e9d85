"""The one place that decides what a user's filename may look like.

The name is only ever stored in the database and sent back in a
Content-Disposition header; it never becomes part of a path on disk.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata

MAX_NAME_LENGTH = 255
# RFC 3986's unreserved characters: safe unquoted in a header's quoted string
# and in a URL, so nginx can copy a signed fallback into its header untouched.
_NOT_FALLBACK_SAFE = re.compile(r"[^A-Za-z0-9._~-]+")
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


def clean_filename(name: str) -> str:
    """The name without directories, control or format characters, at most 255 characters.

    Returns "" when nothing usable is left; callers treat that as invalid.
    """
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _UNSAFE_CATEGORIES)
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
