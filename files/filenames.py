"""The one place that decides what a user's filename may look like.

The name is only ever stored in the database and sent back in a
Content-Disposition header; it never becomes part of a path on disk.
"""

from __future__ import annotations

import posixpath
import unicodedata

MAX_NAME_LENGTH = 255

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
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: MAX_NAME_LENGTH - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_NAME_LENGTH]
    return name
