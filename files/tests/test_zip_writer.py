"""files.delivery.zip: the layout, the bytes, Zip64 and ranges, without views or the database."""

from __future__ import annotations

import io
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from pytest_django import Settings

from files.delivery.zip import LIMIT_32, Archive, Entry

WHEN = datetime(2026, 7, 14, 12, 30, 20, tzinfo=UTC)


def stored(key: str, content: bytes) -> Entry:
    default_storage.save(key, ContentFile(content))
    return Entry(
        name=key.rsplit("/", 1)[-1],
        modified=WHEN,
        key=key,
        size=len(content),
        crc32=zlib.crc32(content),
    )


class ArchiveFile(io.RawIOBase):
    """The archive as a seekable file that reads every byte through Archive.read(first, last)."""

    def __init__(self, archive: Archive) -> None:
        self.archive, self.position = archive, 0

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.position, 2: self.archive.size}[whence]
        self.position = base + offset
        return self.position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        last = min(self.position + len(buffer), self.archive.size) - 1
        if last < self.position:
            return 0
        data = b"".join(self.archive.read(self.position, last))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def test_python_reads_back_every_entry_with_its_time_and_utf8_name(db: None) -> None:
    entries = [
        Entry(name="Été/", modified=WHEN),
        Entry(name="Été/vide/", modified=WHEN),
        stored("u/1/a", b"first file"),
        Entry(name="Été/résumé 東京.txt", modified=WHEN, **_bytes_of("u/1/b", b"second")),
        stored("u/1/empty", b""),
    ]
    archive = Archive(entries)
    data = b"".join(archive.read())

    assert len(data) == archive.size
    with zipfile.ZipFile(io.BytesIO(data)) as opened:
        assert opened.testzip() is None
        infos = opened.infolist()
        assert [info.filename for info in infos] == [e.name for e in entries]
        assert all(info.flag_bits & 0x800 for info in infos)
        assert all(info.compress_type == zipfile.ZIP_STORED for info in infos)
        assert opened.read("Été/résumé 東京.txt") == b"second"
        assert opened.read("a") == b"first file"
        assert opened.read("empty") == b""
        assert infos[1].is_dir()
        # MS-DOS local time of the site (TIME_ZONE); seconds in steps of two.
        assert infos[2].date_time[:2] == (2026, 7)


def _bytes_of(key: str, content: bytes) -> dict[str, object]:
    entry = stored(key, content)
    return {"key": entry.key, "size": entry.size, "crc32": entry.crc32}


def test_the_same_entries_give_the_same_bytes_and_etag(db: None) -> None:
    entries = [stored("u/1/a", b"x" * 1000), stored("u/1/b", b"y" * 10)]

    first, second = Archive(entries), Archive(list(entries))

    assert b"".join(first.read()) == b"".join(second.read())
    assert first.etag == second.etag


def test_any_change_gives_another_etag(db: None) -> None:
    entry = stored("u/1/a", b"x")
    renamed = Entry(name="b", modified=WHEN, key=entry.key, size=1, crc32=entry.crc32)
    touched = Entry(name="a", modified=datetime(2027, 1, 1, tzinfo=UTC), key=entry.key, size=1,
                    crc32=entry.crc32)  # fmt: skip

    etags = {Archive(entries).etag for entries in ([entry], [renamed], [touched], [])}

    assert len(etags) == 4


@pytest.mark.parametrize("first", [0, 1, 29, 30, 31, 1000, 4095, 4096, 100_000])
def test_every_range_is_the_slice_of_the_whole(db: None, first: int) -> None:
    entries = [stored(f"u/1/{n}", bytes([n]) * (n * 997)) for n in range(1, 60)]
    archive = Archive(entries)
    whole = b"".join(archive.read())

    for last in (first, first + 10, first + 70_000, archive.size - 1):
        last = min(last, archive.size - 1)
        assert b"".join(archive.read(first, last)) == whole[first : last + 1]


def test_large_members_and_offsets_switch_to_zip64(
    db: None, settings: Settings, tmp_path: Path
) -> None:
    # A sparse file of 4 GiB + 1: no disk is used, and the test reads only
    # the headers and the small file after it (at an offset past 4 GiB).
    big = Path(settings.MEDIA_ROOT) / "u/1/big"
    big.parent.mkdir(parents=True, exist_ok=True)
    with big.open("wb") as sparse:
        sparse.truncate(LIMIT_32 + 1)
    entries = [
        Entry(name="big", modified=WHEN, key="u/1/big", size=LIMIT_32 + 1, crc32=0),
        stored("u/1/after", b"after the big one"),
    ]
    archive = Archive(entries)

    with zipfile.ZipFile(io.BufferedReader(ArchiveFile(archive))) as opened:
        infos = opened.infolist()
        assert infos[0].file_size == LIMIT_32 + 1
        assert infos[1].header_offset > LIMIT_32
        assert opened.read("after") == b"after the big one"
    assert archive.size > LIMIT_32 + 1
