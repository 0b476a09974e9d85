"""A file's bytes and its row live or die together (the parts a unit test can reach).

The killed worker and the client that disconnects mid-upload are proved
through a real gunicorn in tests/integration/test_integrity.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from pytest_django import Settings

from accounts.models import User
from files import services
from files.models import UploadedFile
from files.tests.utils import stored_paths
from files.uploadhandler import HashedUpload, remove_temp_files_of, temp_file_prefix


def describe(name: str, content: bytes) -> UploadedFile:
    return services.describe_upload(SimpleUploadedFile(name, content), name)


def test_storing_refuses_to_run_inside_a_callers_transaction(alice: User) -> None:
    # A caller's rollback after our commit-less store would keep the bytes and
    # drop the rows; so the store insists on committing by itself.
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.store_uploads(alice, [describe("a.txt", b"a")])
    assert not UploadedFile.objects.exists()
    assert stored_paths() == []


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
