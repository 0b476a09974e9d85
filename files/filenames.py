"""The one place that decides what a user's filename may look like.

The name is only ever stored in the database and sent back in a
Content-Disposition header; it never becomes part of a path on disk.
"""

from __future__ import annotations

import posixpath
import unicodedata

MAX_NAME_LENGTH = 255

# Cc: control characters (NUL, CR, LF...); Cf: format characters (right-to-left
# override, zero-width space...), which let a name pretend to be another one;
# Zl, Zp: the line and paragraph separators, which break a name across lines.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}


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
