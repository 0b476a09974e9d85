"""Single byte ranges (RFC 9110 14) for the Python fallback, which streams the bytes itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from django.http import HttpRequest

CHUNK_SIZE = 256 * 1024
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    """The Range asks only for bytes past the end of the file: 416."""


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a single-range request, or None for the whole file.

    Several ranges, or a header we cannot read, get the whole file (RFC 9110
    lets a server ignore Range).
    """
    match = _RANGE_RE.match(header.strip())
    if not match or match.group(1) == match.group(2) == "":
        return None
    start, end = match.groups()
    if start == "":
        suffix = int(end)
        if suffix == 0:
            raise RangeNotSatisfiable
        if size == 0:
            return None  # no byte a Content-Range could name: send the empty whole
        return max(size - suffix, 0), size - 1
    first = int(start)
    if end and int(end) < first:
        return None  # a malformed range is ignored, not refused
    if first >= size:
        raise RangeNotSatisfiable
    last = min(int(end), size - 1) if end else size - 1
    return first, last


def if_range_fails(request: HttpRequest, etag: str) -> bool:
    """True when an If-Range names another version: send the whole file then."""
    if_range = request.headers.get("If-Range")
    return if_range is not None and if_range.strip() != etag


def read_slice(stream: IO[bytes], first: int, last: int) -> Iterator[bytes]:
    with stream:
        stream.seek(first)
        remaining = last - first + 1
        while remaining > 0:
            chunk = stream.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
