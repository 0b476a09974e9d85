"""nginx compresses pages, stylesheets and scripts, and never a user's file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

from tests.integration.support import PortalStack

pytestmark = pytest.mark.integration

GZIP = {"Accept-Encoding": "gzip"}


@pytest.mark.parametrize("path", ["/static/portal.css", "/static/uploader.js", "/accounts/login/"])
def test_pages_and_static_files_travel_compressed(signed_stack: PortalStack, path: str) -> None:
    alice = signed_stack.login("alice")

    response = alice.session.get(f"{signed_stack.url}{path}", headers=GZIP, timeout=30)

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]


def test_a_file_of_a_compressible_type_is_sent_as_stored(
    signed_stack: PortalStack, tmp_path: Path
) -> None:
    alice = signed_stack.login("alice")
    stored = tmp_path / "compressible.json"
    stored.write_text(json.dumps({"rows": ["the same words again"] * 500}))
    assert alice.upload(stored).status_code == 302

    response = alice.session.get(
        f"{signed_stack.url}/files/{alice.file_id(stored.name)}/download/",
        headers=GZIP,
        timeout=30,
    )

    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert int(response.headers["Content-Length"]) == stored.stat().st_size
    assert response.content == stored.read_bytes()


def test_hashed_static_names_are_cached_for_a_year(stack: PortalStack) -> None:
    """Pages link the manifest's hashed names; those are immutable, the plain names are not."""
    page = requests.get(f"{stack.url}/accounts/login/", timeout=30)
    found = re.search(r'href="(/static/portal\.[0-9a-f]{12}\.css)"', page.text)
    assert found, "the page links the stylesheet under its plain name"

    hashed = requests.get(f"{stack.url}{found.group(1)}", headers=GZIP, timeout=30)
    plain = requests.get(f"{stack.url}/static/portal.css", timeout=30)

    assert hashed.status_code == plain.status_code == 200
    assert hashed.text == plain.text
    assert "immutable" in hashed.headers["Cache-Control"]
    assert "max-age=31536000" in hashed.headers["Cache-Control"]
    assert hashed.headers["X-Content-Type-Options"] == "nosniff"
    if stack.server == "nginx":  # Apache's config compresses nothing (mod_deflate is off)
        assert hashed.headers["Content-Encoding"] == "gzip"
    assert "immutable" not in plain.headers.get("Cache-Control", "")
