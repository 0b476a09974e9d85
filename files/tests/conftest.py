"""Fixtures for the files app: uploads made the way the app makes them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from files import folders, services
from files.filenames import clean_filename
from files.models import Folder, UploadedFile

MakeFile = Callable[..., UploadedFile]


@pytest.fixture
def make_file(db: None) -> MakeFile:
    """Stores a file for `owner` through files.services, as the upload form does."""

    def make(
        owner: User,
        name: str = "notes.txt",
        content: bytes = b"hello world",
        folder: Folder | None = None,
    ) -> UploadedFile:
        described = services.describe_upload(
            SimpleUploadedFile(name, content), clean_filename(name)
        )
        [stored] = services.store_uploads(owner, [described], folder)
        return stored

    return make


MakeFolder = Callable[..., Folder]


@pytest.fixture
def make_folder(db: None) -> MakeFolder:
    """A folder of `owner`'s, in `parent` (None: the top level)."""

    def make(owner: User, name: str = "Projects", parent: Folder | None = None) -> Folder:
        return folders.create_folder(owner, parent, name)

    return make
