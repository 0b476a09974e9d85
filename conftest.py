"""Fixtures shared by every test: users, logged-in clients, and a private MEDIA_ROOT."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    """Each test stores files under its own tmp dir and hashes passwords cheaply."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_TEMP_DIR = None
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PORTAL_SENDFILE = "django"
    settings.PORTAL_DEFAULT_QUOTA = 0
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def alice(db) -> User:
    """The owner in most tests."""
    return User.objects.create_user("alice", "alice@example.org", "password")


@pytest.fixture
def bob(db) -> User:
    """Another signed-up user: must never see alice's files."""
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
