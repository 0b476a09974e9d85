"""Fixtures for the files app: uploads made the way the app makes them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from files.folders import tree
from files.models import Folder, UploadedFile
from files.names import clean_filename
from files.uploads import intake
from files.uploads.handler import HashedUpload

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


@pytest.fixture
def incoming_uploads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[HashedUpload]]:
    """Every HashedUpload (a request's temporary file) made in the test, to check each is closed.

    Held, not weakly referenced: one nobody closed must stay here to be seen,
    not go to the collector, whose tempfile finaliser (CPython 3.11) raises
    FileNotFoundError for bytes storage moved away, in whatever test it runs.
    """
    created: list[HashedUpload] = []
    init = HashedUpload.__init__

    def tracked(self: HashedUpload, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        created.append(self)

    monkeypatch.setattr(HashedUpload, "__init__", tracked)
    yield created
    for incoming in created:
        incoming.close()  # nothing for a closed one; a failed test's others leave quietly
