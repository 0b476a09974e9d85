"""What a worker killed mid-upload leaves, and who removes it (the unit-test part).

A failed store is in test_services.py; the killed worker itself and the client
that disconnects mid-upload are proved through a real gunicorn in
tests/integration/test_integrity.py.
"""

from __future__ import annotations

import os
from pathlib import Path

from pytest_django import Settings

from files.uploads.handler import HashedUpload, remove_temp_files_of, temp_file_prefix


def test_a_worker_names_its_temp_files_with_its_pid(settings: Settings, tmp_path: Path) -> None:
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    upload = HashedUpload("report.pdf", "application/pdf", 0, None)
    try:
        path = Path(upload.temporary_file_path())
        assert path.parent == tmp_path
        assert path.name.startswith(temp_file_prefix(os.getpid()))
        assert path.name.endswith(".upload.pdf")
    finally:
        upload.close()


def test_the_temp_files_of_a_dead_worker_are_removed_and_no_others(
    settings: Settings, tmp_path: Path
) -> None:
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    dead = tmp_path / f"{temp_file_prefix(4242)}abc.upload.bin"
    alive = tmp_path / f"{temp_file_prefix(42)}def.upload.bin"
    stranger = tmp_path / "something-else"
    for path in (dead, alive, stranger):
        path.write_bytes(b"x")

    assert remove_temp_files_of(4242) == [dead]
    assert sorted(tmp_path.iterdir()) == sorted([alive, stranger])
