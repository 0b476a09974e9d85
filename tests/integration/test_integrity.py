"""Bytes and row live or die together, through a real nginx and gunicorn.

A worker killed mid-upload, a client that hangs up mid-upload (in front of
nginx, and straight to gunicorn), and an upload refused by the quota leave no
row, no stored bytes and no temporary file; a download in flight survives its
worker being killed, since nginx sends the bytes. The fsck agrees each time.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.integration.conftest import DEFAULT_LIMIT, MIB
from tests.integration.support import PortalStack, base_env, require
from tests.tooling import PortalClient, Sample, killing_the_worker_writing

pytestmark = pytest.mark.integration

QUOTA = 20 * MIB


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, static_root: Path) -> Iterator[PortalStack]:
    require("nginx")
    root = tmp_path_factory.mktemp("integrity-stack")
    env = base_env(root, PORTAL_STATIC_ROOT=str(static_root), PORTAL_DEFAULT_QUOTA=str(QUOTA))
    stack = PortalStack("nginx", root, env, DEFAULT_LIMIT, root / "media")
    stack.start()
    yield stack
    stack.stack.stop()


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """Big enough that Django is still writing its temp file when we look."""
    return Sample.write(tmp_path_factory.mktemp("integrity-samples"), "big.bin", 19 * MIB)


def delete_everything(client: PortalClient) -> None:
    """Each test starts from an empty list (the quota counts what is left)."""
    for file_id in client.file_ids(""):
        assert client.delete(file_id, forever=True).status_code == 302


def assert_left_nothing(portal: PortalStack, media: set[Path], rows: int) -> None:
    assert portal.media_files() == media
    assert portal.row_count() == rows
    assert eventually(lambda: portal.temp_files() == set()), portal.temp_files()
    fsck = portal.fsck()
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr


def test_a_worker_killed_mid_upload_leaves_nothing_and_the_client_gets_503(
    portal: PortalStack, big: Sample
) -> None:
    alice = portal.login("alice")
    media, rows = portal.media_files(), portal.row_count()
    with killing_the_worker_writing(portal.upload_temp_dir) as killed:
        response = alice.upload(big)

    assert killed, "the upload finished before its worker could be killed"
    assert response.status_code == 503
    assert "briefly unavailable" in response.text
    assert response.headers["Retry-After"] == "5"
    # gunicorn's master removed the dead worker's temp file (child_exit).
    assert_left_nothing(portal, media, rows)
    error_log = portal.stack.logs / "gunicorn-error.log"
    assert eventually(lambda: f"left by worker {killed[0]}" in error_log.read_text())
    # A new worker took its place; the same upload now works.
    assert eventually(lambda: alice.upload(big).status_code == 302)
    delete_everything(alice)


def test_a_download_in_flight_survives_its_worker_being_killed(
    portal: PortalStack, big: Sample
) -> None:
    alice = portal.login("alice")
    assert alice.upload(big).status_code == 302
    file_id = alice.file_id(big.name)

    with alice.session.get(
        f"{portal.url}/files/{file_id}/download/", stream=True, timeout=60
    ) as response:
        chunks = response.iter_content(64 * 1024)
        received = [next(chunks)]
        for pid in portal.stack.worker_pids():
            os.kill(pid, signal.SIGKILL)
        received += list(chunks)

    assert response.status_code == 200
    assert hashlib.sha256(b"".join(received)).hexdigest() == big.sha256
    assert eventually(lambda: alice.download(file_id).status == 200)
    delete_everything(alice)


def hang_up_mid_upload(
    url: str, client: PortalClient, sent: int, declared: int, receiving: Callable[[], bool]
) -> None:
    """Send the headers and `sent` bytes of a `declared`-byte upload body, then close.

    Not before `receiving()` says the server is writing the body somewhere.
    """
    parts = urlsplit(url)
    boundary = "hangup"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f"{client.csrf_token}\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="cut.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    request = (
        f"POST /files/upload/ HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Cookie: {client.cookie_header()}\r\n"
        f"Referer: {url}/files/upload/\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(request + head + os.urandom(sent - len(head)))
        assert eventually(receiving), "the server never started writing the body"


@pytest.mark.parametrize("target", ["nginx", "gunicorn"])
def test_a_client_that_hangs_up_mid_upload_leaves_nothing(portal: PortalStack, target: str) -> None:
    alice = portal.login("alice")
    media, rows = portal.media_files(), portal.row_count()
    posts = len(portal.gunicorn_log("POST /files/upload/", 0))
    url = portal.url if target == "nginx" else portal.stack.gunicorn_urls[0]

    def receiving() -> bool:
        if target == "nginx":
            # nginx spools the body to a temp file it unlinks at once (so not
            # even a killed nginx leaves one): nothing to see, give it a moment.
            time.sleep(0.5)
            return True
        return any(portal.upload_temp_dir.glob("portal-upload-*"))

    hang_up_mid_upload(url, alice, sent=4 * MIB, declared=16 * MIB, receiving=receiving)

    assert_left_nothing(portal, media, rows)
    if target == "nginx":
        assert len(portal.gunicorn_log("POST /files/upload/", 0)) == posts
    assert alice.upload(Sample.write(portal.root, "after.bin", 1024)).status_code == 302
    delete_everything(alice)


def test_an_upload_over_the_quota_leaves_nothing(portal: PortalStack, big: Sample) -> None:
    alice = portal.login("alice")
    assert alice.upload(big).status_code == 302
    media, rows = portal.media_files(), portal.row_count()

    response = alice.upload(big)

    assert response.status_code == 200
    assert "Not enough space" in response.text
    assert_left_nothing(portal, media, rows)
    delete_everything(alice)
