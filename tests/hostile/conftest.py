"""The hostile-input suite: one file per threat, each a clear 4xx, never a 500 or a leak.

alice owns the files, bob is another signed-up user, charlie a stranger; the
anonymous visitor is pytest-django's plain `client`.
"""

from __future__ import annotations

import pytest

from accounts.models import User
from files.models import UploadedFile
from files.tests import conftest as files_fixtures
from files.tests.conftest import MakeFile

# The files app's fixture, not a copy: uploads stored the way the app stores them.
make_file = files_fixtures.make_file


@pytest.fixture
def upload(alice: User, make_file: MakeFile) -> UploadedFile:
    """One file of alice's, with a known body of 1000 bytes."""
    return make_file(alice, "notes.txt", b"0123456789" * 100)


make_folder = files_fixtures.make_folder
