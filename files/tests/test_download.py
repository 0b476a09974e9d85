"""/files/<uuid>/download/: who may read a file, and the exact response for each backend."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils.http import http_date
from pytest_django import DjangoAssertNumQueries, Settings

from accounts.models import User
from files.contract import DOWNLOAD_CSP
from files.models import UploadedFile
from files.tests.conftest import MakeFile
from files.tests.utils import body, image_bytes

BACKENDS = ["nginx", "apache", "django"]
# Sent on every response of the site, downloads included.
SITE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Vary": "Cookie",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.fixture
def upload(alice: User, make_file: MakeFile) -> UploadedFile:
    return make_file(alice, "notes.txt", b"hello world")


def url(upload: UploadedFile) -> str:
    return f"/files/{upload.pk}/download/"


def test_it_uses_a_sandboxing_csp() -> None:
    assert DOWNLOAD_CSP.startswith("default-src 'none';")
    assert DOWNLOAD_CSP.endswith("; sandbox")
    assert "script-src" not in DOWNLOAD_CSP


def test_nginx_gets_an_internal_redirect(
    alice: User, alice_client: Client, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_SENDFILE = "nginx"
    response = alice_client.get(url(upload))
    assert response.status_code == 200
    assert body(response) == b""
    assert dict(response.headers) == {
        "Content-Type": "text/plain",
        "X-Accel-Redirect": f"/_protected/u/{alice.pk}/{upload.pk}",
        # The length of the empty body; nginx replaces it with the file's.
        "Content-Length": "0",
        "Content-Disposition": 'attachment; filename="notes.txt"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": DOWNLOAD_CSP,
        "Cache-Control": "private",
        **SITE_HEADERS,
    }


def test_apache_gets_the_absolute_path(
    alice: User, alice_client: Client, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_SENDFILE = "apache"
    response = alice_client.get(url(upload))
    path = Path(django_settings.MEDIA_ROOT).resolve() / "u" / str(alice.pk) / str(upload.pk)
    assert response.status_code == 200
    assert body(response) == b""
    assert dict(response.headers) == {
        "Content-Type": "text/plain",
        "X-Sendfile": str(path),
        "ETag": f'"{upload.sha256}"',
        # The length of the empty body; mod_xsendfile replaces it with the file's.
        "Content-Length": "0",
        "Content-Disposition": 'attachment; filename="notes.txt"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": DOWNLOAD_CSP,
        "Cache-Control": "private",
        **SITE_HEADERS,
    }
    assert path.read_bytes() == b"hello world"


def test_django_streams_the_bytes(
    alice_client: Client, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_SENDFILE = "django"
    response = alice_client.get(url(upload))
    assert response.status_code == 200
    assert response.streaming
    assert body(response) == b"hello world"
    assert dict(response.headers) == {
        "Content-Type": "text/plain",
        "Content-Length": "11",
        "Accept-Ranges": "bytes",
        "ETag": f'"{upload.sha256}"',
        "Last-Modified": http_date(upload.created.timestamp()),
        "Content-Disposition": 'attachment; filename="notes.txt"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": DOWNLOAD_CSP,
        "Cache-Control": "private",
        **SITE_HEADERS,
    }


def test_it_refuses_an_unknown_backend(
    alice_client: Client, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_SENDFILE = "lighttpd-ish"
    with pytest.raises(ImproperlyConfigured, match="PORTAL_SENDFILE must be one of"):
        alice_client.get(url(upload))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("name", "disposition"),
    [
        ("notes.txt", 'attachment; filename="notes.txt"'),
        ("áéБД.txt", "attachment; filename*=utf-8''%C3%A1%C3%A9%D0%91%D0%94.txt"),
        (
            "rapport d’été 2026.pdf",
            "attachment; filename*=utf-8''rapport%20d%E2%80%99%C3%A9t%C3%A9%202026.pdf",
        ),
        ("日本語.txt", "attachment; filename*=utf-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.txt"),
        ('say "hi".txt', 'attachment; filename="say \\"hi\\".txt"'),
        ("50% off; now.txt", 'attachment; filename="50% off; now.txt"'),
    ],
)
def test_it_names_the_file_per_rfc_6266(
    alice: User,
    alice_client: Client,
    make_file: MakeFile,
    settings: Settings,
    backend: str,
    name: str,
    disposition: str,
) -> None:
    settings.PORTAL_SENDFILE = backend
    response = alice_client.get(url(make_file(alice, name)))
    assert response["Content-Disposition"] == disposition


@pytest.mark.parametrize("backend", BACKENDS)
def test_it_keeps_control_and_format_characters_out_of_the_header(
    alice_client: Client, upload: UploadedFile, settings: Settings, backend: str
) -> None:
    # A row written before names were cleaned, or by hand: serving cleans again.
    # (No NUL here: PostgreSQL cannot store one; every input path strips it.)
    settings.PORTAL_SENDFILE = backend
    UploadedFile.objects.filter(pk=upload.pk).update(
        name="evil\r\nSet-Cookie: a=b\u202etxt.exe\u200b\x07.txt"
    )
    response = alice_client.get(url(upload))
    header = response["Content-Disposition"]
    assert header == 'attachment; filename="evilSet-Cookie: a=btxt.exe.txt"'
    for character in "\r\n\u202e\u200b\x07":
        assert character not in header
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("backend", BACKENDS)
def test_it_never_sends_a_backslash_in_the_name(
    alice_client: Client, upload: UploadedFile, settings: Settings, backend: str
) -> None:
    # A backslash is a Windows path separator: what precedes it is a directory.
    settings.PORTAL_SENDFILE = backend
    UploadedFile.objects.filter(pk=upload.pk).update(name='C:\\temp\\say "hi".txt')
    response = alice_client.get(url(upload))
    assert response["Content-Disposition"] == 'attachment; filename="say \\"hi\\".txt"'


def test_it_falls_back_to_a_generic_name(alice_client: Client, upload: UploadedFile) -> None:
    UploadedFile.objects.filter(pk=upload.pk).update(name="../")
    response = alice_client.get(url(upload))
    assert response["Content-Disposition"] == 'attachment; filename="download"'


@pytest.mark.parametrize("backend", BACKENDS)
def test_it_always_sends_an_attachment_even_for_an_image(
    alice: User, alice_client: Client, make_file: MakeFile, settings: Settings, backend: str
) -> None:
    settings.PORTAL_SENDFILE = backend
    picture = make_file(alice, "pic.png", image_bytes("PNG"))
    assert picture.content_type == "image/png"
    response = alice_client.get(url(picture))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="pic.png"'


def test_it_lets_the_owner_download(alice_client: Client, upload: UploadedFile) -> None:
    assert alice_client.get(url(upload)).status_code == 200


@pytest.mark.parametrize("backend", BACKENDS)
def test_it_checks_owner(
    bob_client: Client, upload: UploadedFile, settings: Settings, backend: str
) -> None:
    settings.PORTAL_SENDFILE = backend
    response = bob_client.get(url(upload))
    assert response.status_code == 404  # never 403: no hint that the file exists
    assert "X-Accel-Redirect" not in response.headers
    assert "X-Sendfile" not in response.headers
    assert b"hello world" not in response.content


def test_it_lets_staff_download(staff: User, upload: UploadedFile) -> None:
    client = Client()
    client.force_login(staff)
    response = client.get(url(upload))
    assert response.status_code == 200
    assert body(response) == b"hello world"


def test_it_sends_anonymous_users_to_login(client: Client, upload: UploadedFile) -> None:
    response = client.get(url(upload))
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=/files/{upload.pk}/download/"


def test_it_handles_bad_uuid(alice_client: Client) -> None:
    assert alice_client.get("/files/not-a-uuid/download/").status_code == 404
    assert alice_client.get("/files/../../etc/passwd/download/").status_code == 404


def test_it_handles_unknown_uuid(alice_client: Client) -> None:
    assert alice_client.get(f"/files/{uuid.uuid4()}/download/").status_code == 404


def test_it_rejects_post(alice_client: Client, upload: UploadedFile) -> None:
    assert alice_client.post(url(upload)).status_code == 405


def test_it_answers_head(alice_client: Client, upload: UploadedFile, settings: Settings) -> None:
    settings.PORTAL_SENDFILE = "django"
    response = alice_client.head(url(upload))
    assert response.status_code == 200
    assert response["Content-Length"] == "11"
    assert body(response) == b""


@pytest.mark.parametrize("backend", BACKENDS)
def test_it_runs_at_most_three_queries(
    alice_client: Client,
    upload: UploadedFile,
    settings: Settings,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    backend: str,
) -> None:
    settings.PORTAL_SENDFILE = backend
    # session, user, file
    with django_assert_max_num_queries(3):
        response = alice_client.get(url(upload))
        body(response)
    assert response.status_code == 200
