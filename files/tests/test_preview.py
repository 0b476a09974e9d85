"""/files/<uuid>/preview/: inline only for types whose content was checked."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django import Settings

from accounts.models import User
from files.contract import DOWNLOAD_CSP
from files.models import UploadedFile
from files.tests.conftest import MakeFile
from files.tests.utils import HTML_BYTES, PDF_BYTES, SVG_BYTES, image_bytes


def url(upload: UploadedFile) -> str:
    return f"/files/{upload.pk}/preview/"


@pytest.mark.parametrize("backend", ["nginx", "apache", "django"])
@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("pic.png", image_bytes("PNG"), "image/png"),
        ("pic.webp", image_bytes("WEBP"), "image/webp"),
        ("report.pdf", PDF_BYTES, "application/pdf"),
    ],
)
def test_it_shows_checked_types_inline(
    alice: User,
    alice_client: Client,
    make_file: MakeFile,
    settings: Settings,
    backend: str,
    name: str,
    content: bytes,
    content_type: str,
) -> None:
    settings.PORTAL_SENDFILE = backend
    response = alice_client.get(url(make_file(alice, name, content)))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'inline; filename="{name}"'
    # Behind nginx or Apache the body is empty and the front server sets the length.
    assert response["Content-Length"] == (str(len(content)) if backend == "django" else "0")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == DOWNLOAD_CSP
    assert response["Cache-Control"] == "private"


def test_it_previews_the_real_bytes(alice: User, alice_client: Client, make_file: MakeFile) -> None:
    png = image_bytes("PNG")
    response = alice_client.get(url(make_file(alice, "pic.png", png)))
    assert b"".join(response.streaming_content) == png


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("x.html", HTML_BYTES, "text/html"),
        ("x.svg", SVG_BYTES, "image/svg+xml"),
        ("fake.png", HTML_BYTES, "application/octet-stream"),
        ("notes.txt", b"plain", "text/plain"),
    ],
)
def test_it_has_no_preview_for_other_types(
    alice: User,
    alice_client: Client,
    make_file: MakeFile,
    name: str,
    content: bytes,
    content_type: str,
) -> None:
    upload = make_file(alice, name, content)
    assert upload.content_type == content_type
    assert not upload.previewable
    response = alice_client.get(url(upload))
    assert response.status_code == 404
    assert content not in response.content
    # The same file still downloads, as an attachment.
    download = alice_client.get(f"/files/{upload.pk}/download/")
    assert download["Content-Disposition"] == f'attachment; filename="{name}"'


def test_it_refuses_a_stored_type_that_is_not_inline_safe(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    # Whatever the row says, HTML is never rendered on our origin.
    upload = make_file(alice, "pic.png", image_bytes("PNG"))
    UploadedFile.objects.filter(pk=upload.pk).update(content_type="text/html")
    assert alice_client.get(url(upload)).status_code == 404


def test_it_checks_owner(alice: User, bob_client: Client, make_file: MakeFile) -> None:
    upload = make_file(alice, "pic.png", image_bytes("PNG"))
    assert bob_client.get(url(upload)).status_code == 404


def test_it_sends_anonymous_users_to_login(
    alice: User, client: Client, make_file: MakeFile
) -> None:
    upload = make_file(alice, "pic.png", image_bytes("PNG"))
    response = client.get(url(upload))
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=/files/{upload.pk}/preview/"


def test_it_rejects_post(alice: User, alice_client: Client, make_file: MakeFile) -> None:
    upload = make_file(alice, "pic.png", image_bytes("PNG"))
    assert alice_client.post(url(upload)).status_code == 405


def test_it_handles_bad_uuid(alice_client: Client) -> None:
    assert alice_client.get("/files/123/preview/").status_code == 404
