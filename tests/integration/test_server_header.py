"""The Server header is the front server's, never the app server's (gunicorn), as clients see it."""

from __future__ import annotations

import pytest
import requests

from tests.integration.support import PortalStack

pytestmark = pytest.mark.integration

FRONT = {"nginx": "nginx", "apache": "Apache"}


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",  # a page from Django through the proxy
        "/files/",  # Django's redirect to log in
        "/accounts/nothing-here/",  # Django's 404
        "/static/portal.css",  # the front server's own file
    ],
)
def test_the_server_header_names_the_front_server(stack: PortalStack, path: str) -> None:
    response = requests.get(stack.url + path, allow_redirects=False, timeout=30)
    assert response.status_code in (200, 302, 404)
    headers = response.headers
    assert headers["Server"] == FRONT[stack.server]
    assert "gunicorn" not in str(headers).lower()


def test_a_signed_in_download_names_the_front_server(stack: PortalStack, tmp_path) -> None:
    client = stack.login("alice")
    sample = tmp_path / "server-header.txt"
    sample.write_bytes(b"which server?\n")
    client.upload(sample).raise_for_status()
    [file_id] = client.file_ids("server-header.txt")
    response = client.session.get(f"{stack.url}/files/{file_id}/download/", timeout=30)
    assert response.content == b"which server?\n"
    assert response.headers["Server"] == FRONT[stack.server]
