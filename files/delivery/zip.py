"""A folder as one ZIP: stored entries, an exact size, and any byte range on demand.

Our own writer rather than zipstream-ng: every file's size and CRC-32 are in
the database already (computed at upload, files.uploads.handler.Digests), so
each header can be written before its bytes and the archive's layout (where
every header and every file starts) is known before the first byte is sent.
That gives the exact Content-Length and, what zipstream-ng cannot do, a Range
served by seeking: resuming a 5 GiB archive at 4 GiB reads 1 GiB, not 5.

The format (PKWARE APPNOTE 6.3.10): per entry a local header (4.3.7) and the
bytes stored as-is (method 0, no data descriptor), then the central directory
(4.3.12), then Zip64's end record and locator (4.3.14-15) when a size, an
offset or the number of entries outgrows the classic fields, then the end of
central directory (4.3.16). Names are UTF-8 with flag bit 11; times are the
files' own, as MS-DOS local time and as the Unix time of an extended
timestamp (0x5455), which Info-ZIP's unzip prefers. Nothing depends on the
moment of the request, so one list of entries always gives the same bytes.

This module knows nothing of who may read what: the caller hands it the
entries it has already allowed.
"""

from __future__ import annotations

import bisect
import hashlib
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.http import quote_etag

from files.delivery import headers
from files.delivery.ranges import RangeNotSatisfiable, if_range_fails, parse_range

CONTENT_TYPE = "application/zip"
# Bytes read from storage at a time, and the least a write to the socket carries
# (small headers are gathered so 1,000 small files are not 3,000 tiny writes).
# 256 KiB reads, not 1 MiB: gunicorn holds the chunk it sent while the next is
# read, so a ZIP keeps two alive; 4 ZIPs in one worker peaked at 92 MiB, not
# 104, for about 0.03 s more CPU per GB (docs/performance.md).
CHUNK_SIZE = 256 * 1024
MIN_WRITE = 256 * 1024

UTF8_FLAG = 0x0800
VERSION_ZIP64 = 45
VERSION_PLAIN = 20
# "Made by" Unix (3) so unzip applies the permission bits of the external attributes.
MADE_BY = (3 << 8) | VERSION_ZIP64
FILE_MODE = 0o100644 << 16
DIRECTORY_MODE = (0o040755 << 16) | 0x10  # and MS-DOS's directory bit
LIMIT_32 = 0xFFFFFFFF
LIMIT_16 = 0xFFFF
EXTENDED_TIMESTAMP = 0x5455
ZIP64_EXTRA = 0x0001
DOS_EPOCH = datetime(1980, 1, 1)  # noqa: DTZ001 (MS-DOS times are local, naive)


@dataclass(frozen=True, slots=True)
class Entry:
    """One member of the archive: a directory (no key) or a stored file's bytes.

    `name` is the path inside the archive, "/"-separated, a directory's
    ending in "/"; the caller has made it safe (no "..", not absolute).
    """

    name: str
    modified: datetime
    key: str | None = None
    size: int = 0
    crc32: int = 0

    @property
    def is_directory(self) -> bool:
        return self.key is None

    @property
    def encoded_name(self) -> bytes:
        return self.name.encode("utf-8")


def _dos_time(moment: datetime) -> tuple[int, int]:
    """(time, date) in MS-DOS format, local time of the site, clamped to 1980-2107."""
    local = timezone.localtime(moment).replace(tzinfo=None) if timezone.is_aware(moment) else moment
    local = min(max(local, DOS_EPOCH), datetime(2107, 12, 31, 23, 59, 58))  # noqa: DTZ001
    time = (local.hour << 11) | (local.minute << 5) | (local.second // 2)
    date = ((local.year - 1980) << 9) | (local.month << 5) | local.day
    return time, date


def _unix_time(moment: datetime) -> int | None:
    stamp = int(moment.timestamp())
    return stamp if 0 <= stamp <= LIMIT_32 else None


def _timestamp_extra(moment: datetime) -> bytes:
    stamp = _unix_time(moment)
    if stamp is None:
        return b""
    # Flags bit 0: the modification time follows (the same field in both headers).
    return struct.pack("<HHBI", EXTENDED_TIMESTAMP, 5, 1, stamp)


def _needs_zip64(entry: Entry) -> bool:
    return entry.size >= LIMIT_32


def local_header(entry: Entry) -> bytes:
    name = entry.encoded_name
    time, date = _dos_time(entry.modified)
    extra = _timestamp_extra(entry.modified)
    size = entry.size
    version = VERSION_PLAIN
    if _needs_zip64(entry):
        # 4.5.3: in a local header the Zip64 field holds both sizes, in this order.
        extra = struct.pack("<HHQQ", ZIP64_EXTRA, 16, entry.size, entry.size) + extra
        size, version = LIMIT_32, VERSION_ZIP64
    fixed = struct.pack(
        "<IHHHHHIIIHH",
        0x04034B50,
        version,
        UTF8_FLAG,
        0,  # stored
        time,
        date,
        entry.crc32,
        size,
        size,
        len(name),
        len(extra),
    )
    return fixed + name + extra


def central_header(entry: Entry, offset: int) -> bytes:
    name = entry.encoded_name
    time, date = _dos_time(entry.modified)
    zip64 = b""
    size = entry.size
    if size >= LIMIT_32:
        zip64 += struct.pack("<QQ", entry.size, entry.size)
        size = LIMIT_32
    header_offset = offset
    if offset >= LIMIT_32:
        zip64 += struct.pack("<Q", offset)
        header_offset = LIMIT_32
    extra = _timestamp_extra(entry.modified)
    if zip64:
        extra = struct.pack("<HH", ZIP64_EXTRA, len(zip64)) + zip64 + extra
    version = VERSION_ZIP64 if zip64 else VERSION_PLAIN
    fixed = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        MADE_BY,
        version,
        UTF8_FLAG,
        0,
        time,
        date,
        entry.crc32,
        size,
        size,
        len(name),
        len(extra),
        0,  # comment
        0,  # disk
        0,  # internal attributes
        DIRECTORY_MODE if entry.is_directory else FILE_MODE,
        header_offset,
    )
    return fixed + name + extra


def _local_header_size(entry: Entry) -> int:
    extra = (20 if _needs_zip64(entry) else 0) + (
        9 if _unix_time(entry.modified) is not None else 0
    )
    return 30 + len(entry.encoded_name) + extra


def _central_header_size(entry: Entry, offset: int) -> int:
    zip64 = (16 if entry.size >= LIMIT_32 else 0) + (8 if offset >= LIMIT_32 else 0)
    extra = (4 + zip64 if zip64 else 0) + (9 if _unix_time(entry.modified) is not None else 0)
    return 46 + len(entry.encoded_name) + extra


def end_records(count: int, directory_offset: int, directory_size: int) -> bytes:
    """Zip64's end record and locator when needed, then the classic end record."""
    records = b""
    zip64 = count >= LIMIT_16 or directory_offset >= LIMIT_32 or directory_size >= LIMIT_32
    if zip64:
        zip64_end = directory_offset + directory_size
        records += struct.pack(
            "<IQHHIIQQQQ",
            0x06064B50,
            44,  # the size of the rest of this record
            MADE_BY,
            VERSION_ZIP64,
            0,
            0,
            count,
            count,
            directory_size,
            directory_offset,
        )
        records += struct.pack("<IIQI", 0x07064B50, 0, zip64_end, 1)
    records += struct.pack(
        "<IHHHHIIH",
        0x06054B50,
        0,
        0,
        min(count, LIMIT_16),
        min(count, LIMIT_16),
        min(directory_size, LIMIT_32),
        min(directory_offset, LIMIT_32),
        0,
    )
    return records


def _read_stored(key: str, start: int, stop: int) -> Iterator[bytes]:
    """Bytes `start` to `stop` (exclusive) of the object at `key`, CHUNK_SIZE at a time."""
    with default_storage.open(key, "rb") as source:
        source.seek(start)
        remaining = stop - start
        while remaining > 0:
            chunk = source.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                # The object shrank since the row was written: the promised
                # Content-Length cannot be kept, so the connection must break.
                raise OSError(f"{key}: {remaining} bytes missing")
            remaining -= len(chunk)
            yield chunk


def _sliced(data: bytes, start: int, stop: int) -> Iterator[bytes]:
    """`data[start:stop]`, the bounds (relative, maybe outside `data`) clamped to it."""
    start, stop = max(start, 0), min(stop, len(data))
    if start < stop:
        yield data[start:stop]


@dataclass
class Archive:
    """The layout of the ZIP of `entries`, in their order: its size, validator and bytes.

    Only two integers per entry are kept (where its local header and its
    central header start); headers are built again when a read reaches them.
    100,000 entries: about 9 MB of layout beside the 35 MB of the entries
    themselves (names and keys), held while the archive downloads.
    """

    entries: list[Entry]
    local_starts: list[int] = field(init=False)
    central_starts: list[int] = field(init=False)
    directory_offset: int = field(init=False)
    end: bytes = field(init=False)
    size: int = field(init=False)

    def __post_init__(self) -> None:
        position = 0
        self.local_starts = []
        for entry in self.entries:
            self.local_starts.append(position)
            position += _local_header_size(entry) + entry.size
        self.directory_offset = position
        self.central_starts = []
        for entry, offset in zip(self.entries, self.local_starts, strict=True):
            self.central_starts.append(position)
            position += _central_header_size(entry, offset)
        directory_size = position - self.directory_offset
        self.end = end_records(len(self.entries), self.directory_offset, directory_size)
        self.size = position + len(self.end)

    @property
    def etag(self) -> str:
        """A strong validator of the archive's bytes: a digest of everything that shapes them."""
        digest = hashlib.sha256()
        for entry in self.entries:
            stamp = entry.modified.timestamp()
            line = f"{entry.name}\0{entry.key or ''}\0{entry.size}\0{entry.crc32}\0{stamp}\n"
            digest.update(line.encode("utf-8", "surrogatepass"))
        return "zip-" + digest.hexdigest()[:40]

    def read(self, first: int = 0, last: int | None = None) -> Iterator[bytes]:
        """Bytes `first` to `last` (inclusive) of the archive, in writes of MIN_WRITE or more."""
        stop = (self.size - 1 if last is None else last) + 1
        pending: list[bytes] = []
        pending_size = 0
        for chunk in self._pieces(first, stop):
            pending.append(chunk)
            pending_size += len(chunk)
            if pending_size >= MIN_WRITE:
                yield b"".join(pending)
                pending, pending_size = [], 0
        if pending:
            yield b"".join(pending)

    def _pieces(self, first: int, stop: int) -> Iterator[bytes]:
        """The archive's bytes in [first, stop), from the entry holding `first` on."""
        index = max(bisect.bisect_right(self.local_starts, first) - 1, 0)
        for entry, start in zip(self.entries[index:], self.local_starts[index:], strict=True):
            if start >= stop:
                return
            header = local_header(entry)
            yield from _sliced(header, first - start, stop - start)
            data_start = start + len(header)
            if entry.key is not None and entry.size:
                low = max(first - data_start, 0)
                high = min(stop - data_start, entry.size)
                if low < high:
                    yield from _read_stored(entry.key, low, high)
        index = max(bisect.bisect_right(self.central_starts, first) - 1, 0)
        for position in range(index, len(self.entries)):
            start = self.central_starts[position]
            if start >= stop:
                return
            entry = self.entries[position]
            header = central_header(entry, self.local_starts[position])
            yield from _sliced(header, first - start, stop - start)
        end_start = self.size - len(self.end)
        yield from _sliced(self.end, first - end_start, stop - end_start)


def send(
    request: HttpRequest,
    entries: Iterable[Entry],
    *,
    filename: str,
    on_sent: Callable[[], None] | None = None,
) -> HttpResponseBase:
    """The response carrying the ZIP of `entries`: 200, 206 for a Range, 416 past the end.

    `If-Range` with the archive's ETag: the range; with another one (the folder
    changed since), the whole new archive. `on_sent` runs once the response
    is decided and will send bytes (the caller's audit row), not for a 416.
    """
    archive = Archive(list(entries))
    etag = quote_etag(archive.etag)
    size = archive.size
    first, last, status = 0, size - 1, 200
    try:
        byte_range = parse_range(request.headers.get("Range", ""), size)
    except RangeNotSatisfiable:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    if byte_range is not None and not if_range_fails(request, etag):
        first, last = byte_range
        status = 206
    body = archive.read(first, last) if request.method != "HEAD" else iter(())
    response = StreamingHttpResponse(body, status=status)
    response["Content-Length"] = str(last - first + 1)
    if status == 206:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    # Sent as it is read: nginx must not spool a 5 GiB body to its temp files first.
    response["X-Accel-Buffering"] = "no"
    metadata = headers.metadata(content_type=CONTENT_TYPE, as_attachment=True, filename=filename)
    # A folder's state changes without its URL changing: revalidate every time.
    metadata["Cache-Control"] = "private, no-cache"
    headers.apply(response, metadata)
    if on_sent is not None:
        on_sent()
    return response
