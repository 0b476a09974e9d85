"""Threat: an anonymous client makes the portal parse and spool a body it will throw away.

LoginRequiredMiddleware runs before CsrfViewMiddleware (which reads
request.POST), so an anonymous POST to a login-required view is sent to log in
before its body is touched. Views marked @login_not_required (login, signup,
the public pages under /s/) still get their bodies.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from django.test import Client
from pytest_django import Settings

from accounts.models import User
from files.models import UploadedFile

CSRF = "a" * 32  # a self-made token: the cookie and the field agree, as an attacker can arrange


@pytest.fixture
def upload_temp_dir(settings: Settings, tmp_path: Path) -> Path:
    directory = tmp_path / "upload-tmp"
    directory.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(directory)
    return directory


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths whose multipart bodies Django started to parse."""
    seen: list[str] = []
    original = MultiPartParser.parse

    def parse(self: MultiPartParser):
        seen.append(self._meta["PATH_INFO"])
        return original(self)

    monkeypatch.setattr(MultiPartParser, "parse", parse)
    return seen


def anonymous_with_a_forged_token() -> Client:
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF
    return client


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_an_anonymous_upload_is_refused_before_its_body_is_read(
    db: None, upload_temp_dir: Path, parsed: list[str], method: str
) -> None:
    client = anonymous_with_a_forged_token()
    response = getattr(client, method)(
        "/files/upload/",
        {"csrfmiddlewaretoken": CSRF, "file": SimpleUploadedFile("big.bin", b"x" * 300_000)},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/files/upload/"
    assert parsed == []
    assert list(upload_temp_dir.iterdir()) == []
    assert UploadedFile.objects.count() == 0


def test_an_anonymous_post_to_any_private_view_is_not_parsed(
    db: None, parsed: list[str], upload: UploadedFile
) -> None:
    client = anonymous_with_a_forged_token()
    for path in (f"/files/{upload.pk}/", f"/files/{upload.pk}/delete/", "/accounts/password/"):
        response = client.post(path, {"csrfmiddlewaretoken": CSRF, "name": "x"})
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    assert parsed == []
    assert UploadedFile.objects.get().name == "notes.txt"


def test_a_public_view_still_reads_its_body(alice: User, parsed: list[str]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    # The test client sends multipart, so the spy on the parser sees it.
    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "password", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert response["Location"] == "/files/"
    assert parsed == ["/accounts/login/"]


def test_a_signed_in_user_still_needs_a_valid_csrf_token(alice: User, parsed: list[str]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(
        "/files/upload/", {"file": SimpleUploadedFile("a.txt", b"a")}, HTTP_REFERER="x"
    )
    assert response.status_code == 403
    assert UploadedFile.objects.count() == 0
