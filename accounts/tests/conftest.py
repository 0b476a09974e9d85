"""Fixtures for the accounts app."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from files.models import UploadedFile

AddFile = Callable[[User, int], UploadedFile]


@pytest.fixture
def add_file(db: None) -> AddFile:
    """A file row of `size` bytes for `owner`: storage sums need no bytes on disk."""

    def add(owner: User, size: int) -> UploadedFile:
        # Its own name each: names are unique per place (files.names).
        upload = UploadedFile(owner=owner, size=size, content_type="x/y")
        upload.name = f"f-{upload.pk}.bin"
        upload.file.name = f"u/{owner.pk}/{upload.pk}"
        upload.save()
        return upload

    return add
