"""Fixtures for the files app: uploads made the way the app makes them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from files import services
from files.filenames import clean_filename
from files.models import UploadedFile

MakeFile = Callable[..., UploadedFile]


@pytest.fixture
def make_file(db: None) -> MakeFile:
    """Stores a file for `owner` through files.services, as the upload form does."""

    def make(owner: User, name: str = "notes.txt", content: bytes = b"hello world") -> UploadedFile:
        upload = SimpleUploadedFile(name, content)
        [stored] = services.store_uploads(
            owner, [services.describe_upload(upload, clean_filename(name))]
        )
        return stored

    return make
