"""Who can reach what through the real stack: only Django's check opens a file."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.integration.support import PortalStack
from tests.tooling import PortalClient

pytestmark = pytest.mark.integration

NAME = "five-mib.bin"


@pytest.fixture
def stored_key(stack: PortalStack, uploaded: dict[str, str]) -> str:
    """The storage key (u/<owner>/<uuid>) of alice's 5 MiB file, read from disk."""
    # By its id (the stored name), not its size: other modules upload into the same stack.
    (path,) = [p for p in stack.media_files() if p.name == uploaded[NAME]]
    return path.relative_to(stack.media_root).as_posix()


@pytest.mark.parametrize("prefix", ["/_protected/", "/media/"])
def test_stored_files_have_no_public_url(
    stack: PortalStack, alice: PortalClient, stored_key: str, prefix: str
) -> None:
    anonymous = requests.get(f"{stack.url}{prefix}{stored_key}", timeout=30)
    signed_in = alice.session.get(f"{stack.url}{prefix}{stored_key}", timeout=30)

    for response in (anonymous, signed_in):
        assert response.status_code == 404
        assert len(response.content) < 100_000


def test_a_stranger_gets_404(bob: PortalClient, uploaded: dict[str, str]) -> None:
    download = bob.download(uploaded[NAME])

    assert download.status == 404
    assert download.size < 100_000
    assert "Content-Disposition" not in download.headers


def test_an_anonymous_visitor_is_sent_to_login(
    stack: PortalStack, uploaded: dict[str, str]
) -> None:
    url = f"/files/{uploaded[NAME]}/download/"

    response = requests.get(f"{stack.url}{url}", allow_redirects=False, timeout=30)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/accounts/login/?next={url}"


def test_static_files_come_from_the_front_server(stack: PortalStack, static_root: Path) -> None:
    response = requests.get(f"{stack.url}/static/admin/css/base.css", timeout=30)

    assert response.status_code == 200
    assert response.content == (static_root / "admin/css/base.css").read_bytes()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert stack.gunicorn_log("/static/", timeout=0.5) == []
