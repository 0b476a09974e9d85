"""files.delivery.serve() alone, without middleware that might add the same headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import SuspiciousFileOperation
from django.test import RequestFactory
from pytest_django import Settings

from accounts.models import User
from files import delivery
from files.contract import DOWNLOAD_CSP
from files.delivery.objects import StoredObject
from files.models import UploadedFile
from files.tests.conftest import MakeFile
from files.tests.utils import image_bytes

METADATA = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": DOWNLOAD_CSP,
    "Cache-Control": "private",
}


@pytest.fixture
def upload(alice: User, make_file: MakeFile) -> UploadedFile:
    return make_file(alice, "pic.png", image_bytes("PNG"))


@pytest.mark.parametrize("inline", [False, True])
def test_nginx_headers(
    alice: User, rf: RequestFactory, upload: UploadedFile, settings: Settings, inline: bool
) -> None:
    settings.PORTAL_SENDFILE = "nginx"
    response = delivery.serve(rf.get("/"), upload, inline=inline)
    assert response.content == b""
    assert dict(response.headers) == {
        "Content-Type": "image/png",
        "X-Accel-Redirect": f"/_protected/u/{alice.pk}/{upload.pk}",
        "Content-Disposition": f'{"inline" if inline else "attachment"}; filename="pic.png"',
        **METADATA,
    }


def test_apache_headers(
    alice: User, rf: RequestFactory, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_SENDFILE = "apache"
    response = delivery.serve(rf.get("/"), upload)
    path = Path(django_settings.MEDIA_ROOT).resolve() / "u" / str(alice.pk) / str(upload.pk)
    assert response.content == b""
    assert dict(response.headers) == {
        "Content-Type": "image/png",
        "X-Sendfile": str(path),
        "ETag": f'"{upload.sha256}"',
        "Content-Disposition": 'attachment; filename="pic.png"',
        **METADATA,
    }


def test_django_headers(rf: RequestFactory, upload: UploadedFile, settings: Settings) -> None:
    settings.PORTAL_SENDFILE = "django"
    response = delivery.serve(rf.get("/"), upload, inline=True)
    assert b"".join(response.streaming_content) == image_bytes("PNG")
    assert response["Content-Disposition"] == 'inline; filename="pic.png"'
    assert response["Content-Type"] == "image/png"
    for header, value in METADATA.items():
        assert response[header] == value


@pytest.mark.parametrize("backend", ["nginx", "apache", "django"])
def test_it_never_sends_an_unchecked_type_inline(
    alice: User, rf: RequestFactory, make_file: MakeFile, settings: Settings, backend: str
) -> None:
    settings.PORTAL_SENDFILE = backend
    page = make_file(alice, "x.html", b"<html><script>alert(1)</script></html>")
    response = delivery.serve(rf.get("/"), page, inline=True)
    assert response["Content-Disposition"] == 'attachment; filename="x.html"'
    assert response["Content-Type"] == "text/html"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_nginx_percent_encodes_the_key(
    rf: RequestFactory, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_SENDFILE = "nginx"
    upload.file.name = "u/1/odd name?.bin"
    response = delivery.serve(rf.get("/"), upload)
    assert response["X-Accel-Redirect"] == "/_protected/u/1/odd%20name%3F.bin"


def test_local_path_refuses_a_link_out_of_media_root(upload: UploadedFile, tmp_path: Path) -> None:
    # Storage's own check is lexical; a symlink inside MEDIA_ROOT would pass it.
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("secret")
    (Path(django_settings.MEDIA_ROOT) / "u" / "link").symlink_to(outside)
    upload.file.name = "u/link/secret"
    with pytest.raises(SuspiciousFileOperation, match="stored path leaves MEDIA_ROOT"):
        StoredObject.of(upload).local_path()
