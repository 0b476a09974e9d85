"""Fixtures shared by every test: users, logged-in clients, and a private MEDIA_ROOT."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """SQLite tests use a file, not Django's shared in-memory database.

    Concurrent writers through the live server (the uploader sends three files
    at once) then wait for the lock (WAL, busy timeout) as in production; the
    in-memory database's shared cache answers "table is locked" at once.
    """
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(
            tmp_path_factory.mktemp("database") / "test.sqlite3"
        )


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    """Each test stores files under its own tmp dir and hashes passwords cheaply.

    Background tasks run at once, in the test's own process (after commit,
    as with a worker: tests run the on-commit callbacks to see them).
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_TEMP_DIR = None
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PORTAL_SENDFILE = "django"
    settings.PORTAL_DEFAULT_QUOTA = 0
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def alice(db) -> User:
    """The owner in most tests."""
    return User.objects.create_user("alice", "alice@example.org", "password")


@pytest.fixture
def bob(db) -> User:
    """Whom alice shares with; without a share he sees nothing of hers."""
    return User.objects.create_user("bob", "bob@example.org", "password")


@pytest.fixture
def charlie(db) -> User:
    """A stranger: gets 404 for everything of alice's."""
    return User.objects.create_user("charlie", "charlie@example.org", "password")


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_user("sam", "sam@example.org", "password", is_staff=True)


@pytest.fixture
def alice_client(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob) -> Client:
    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def charlie_client(charlie) -> Client:
    client = Client()
    client.force_login(charlie)
    return client
