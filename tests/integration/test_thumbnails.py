"""Thumbnails on the real stacks: the worker renders them, nginx or Apache sends them."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
import requests
from PIL import Image

from files.tests.utils import photo_bytes
from tests.integration.support import PortalStack
from tests.integration.test_signed_urls import get, resign, signed
from tests.tooling import PortalClient, Sample

pytestmark = pytest.mark.integration

# The worker polls its queue every second.
WAIT = 20.0


def upload_photo(client: PortalClient, directory: Path, name: str) -> str:
    path = directory / name
    path.write_bytes(photo_bytes((900, 600)))
    sample = Sample(name, path, path.stat().st_size, "")
    response = client.upload(sample)
    assert response.status_code == 302, response.text[:2000]
    return client.file_id(name)


def wait_for_thumbnail(client: PortalClient, file_id: str) -> requests.Response:
    """The thumbnail view once the worker has rendered it (404 until then)."""
    deadline = time.monotonic() + WAIT
    while True:
        response = client.session.get(
            f"{client.url}/files/{file_id}/thumbnail/", allow_redirects=False, timeout=30
        )
        if response.status_code != 404 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def assert_upright_webp(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    assert image.size == (171, 256)  # 600 x 900 upright, in the 256 px box
    assert "exif" not in image.info


def test_the_worker_renders_it_and_the_front_server_sends_it(
    alice: PortalClient, bob: PortalClient, tmp_path: Path
) -> None:
    file_id = upload_photo(alice, tmp_path, "sideways photo.jpg")
    response = wait_for_thumbnail(alice, file_id)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/webp"
    assert response.headers["Content-Disposition"] == (
        "inline; filename=\"sideways_photo.webp\"; filename*=utf-8''sideways%20photo.webp"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private"
    assert_upright_webp(response.content)
    assert bob.session.get(f"{bob.url}/files/{file_id}/thumbnail/", timeout=30).status_code == 404


def test_a_signed_thumbnail_skips_python_and_expires_back_to_the_view(
    signed_stack: PortalStack, tmp_path: Path
) -> None:
    alice = signed_stack.login("alice")
    file_id = upload_photo(alice, tmp_path, "signed-photo.jpg")
    assert wait_for_thumbnail(alice, file_id).status_code == 302
    location = signed(alice, file_id, "thumbnail")
    assert location.startswith("/_signed/")
    assert "/inline/image/webp/u/" in location
    assert location.endswith(".thumb.webp/signed-photo.webp")

    response = get(signed_stack, location)  # no cookie: the signature opens it
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/webp"
    assert response.headers["Content-Disposition"] == 'inline; filename="signed-photo.webp"'
    assert_upright_webp(response.content)
    assert signed_stack.gunicorn_log("/_signed/", timeout=0.5) == []

    secret = signed_stack.env["PORTAL_SIGNED_URL_SECRET"]
    expired = get(signed_stack, resign(location, int(time.time()) - 1, secret))
    assert expired.status_code == 302
    assert expired.headers["Location"] == f"/files/{file_id}/thumbnail/"
    assert get(signed_stack, location.replace("/_signed/", "/_signed/x")).status_code == 404
