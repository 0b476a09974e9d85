"""Fixtures for the files app: uploads made the way the app makes them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from files.folders import tree
from files.models import Folder, UploadedFile
from files.names import clean_filename
from files.uploads import intake

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
        described = intake.describe_upload(SimpleUploadedFile(name, content), clean_filename(name))
        [stored] = intake.store_uploads(owner, [described], folder)
        return stored

    return make


MakeFolder = Callable[..., Folder]


@pytest.fixture
def make_folder(db: None) -> MakeFolder:
    """A folder of `owner`'s, in `parent` (None: the top level)."""

    def make(owner: User, name: str = "Projects", parent: Folder | None = None) -> Folder:
        return tree.create_folder(owner, parent, name)

    return make
