"""What a file's page shows of the file: which preview, and the text of a text file.

The browser renders only types whose content was checked (images, PDF, audio,
video; files.contract.INLINE_TYPES), from the inline /preview/ URL. Text and
source files, HTML and SVG included, are read here and shown as escaped text
by our own template: never rendered as markup on our origin.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import PurePath

from files.models import UploadedFile

# The first 256 KiB: a long log or a minified bundle would make the page crawl.
TEXT_LIMIT = 256 * 1024
# Types recorded for text beside text/*: mimetypes' names for source and data files.
TEXT_TYPES = frozenset(
    {
        "application/javascript",
        "application/json",
        "application/ld+json",
        "application/sql",
        "application/toml",
        "application/x-httpd-php",
        "application/x-sh",
        "application/x-csh",
        "application/x-tex",
        "application/x-yaml",
        "application/xhtml+xml",
        "application/xml",
        "application/yaml",
        "image/svg+xml",
        "message/rfc822",
    }
)
# Source and data files, by name: mimetypes does not know many of them.
TEXT_SUFFIXES = frozenset(
    ".bash .c .cc .cfg .conf .cpp .cs .css .csv .diff .dockerfile .env .go .gradle .h .hpp "
    ".ini .java .js .json .jsx .kt .kts .less .lock .log .lua .md .mjs .mk .patch .php .pl "
    ".properties .ps1 .py .pyi .r .rb .rs .rst .sass .scala .scss .sh .sql .svelte .swift "
    ".tf .toml .ts .tsx .tsv .txt .vue .xml .yaml .yml .zsh".split()
)
TEXT_NAMES = frozenset(
    {"dockerfile", "makefile", "readme", "license", "changelog", "gemfile", "procfile"}
)


@dataclass(frozen=True)
class Preview:
    """`kind`: "image", "pdf", "audio", "video", "text", or "" (the download only)."""

    kind: str
    text: str = ""
    cut: bool = False  # the text is the first TEXT_LIMIT bytes of a longer file
    limit: int = TEXT_LIMIT


def preview_of(upload: UploadedFile) -> Preview:
    content_type = upload.content_type
    if upload.previewable:
        if content_type == "application/pdf":
            return Preview("pdf")
        return Preview(content_type.split("/", 1)[0])  # image, audio, video
    if is_text(upload):
        return read_text(upload)
    return Preview("")


def is_text(upload: UploadedFile) -> bool:
    """Text by its recorded type or by its name; read_text checks the bytes.

    The name counts whatever the type: the type of a file that no magic number
    identified comes from the system's mime.types, which knows ".rs" as
    application/rls-services+xml and ".ts" as a video stream.
    """
    if upload.content_type.startswith("text/") or upload.content_type in TEXT_TYPES:
        return True
    path = PurePath(upload.name.lower())
    return path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES


def read_text(upload: UploadedFile) -> Preview:
    """The first TEXT_LIMIT bytes as UTF-8 (bad bytes replaced); none for binary content."""
    with upload.file.open("rb") as stream:
        data = stream.read(TEXT_LIMIT)
    if b"\0" in data:
        return Preview("")  # a NUL: binary (or UTF-16), not text to read on screen
    cut = upload.size > len(data)
    # Not final when cut: a character split by the limit is dropped, not replaced.
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(data, final=not cut)
    return Preview("text", text=text, cut=cut)
