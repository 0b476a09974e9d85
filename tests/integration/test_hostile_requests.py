"""Hostile requests through the real front servers (tests/hostile/ has the in-process ones).

Slow bodies must not hold gunicorn's few workers (nginx spools them first);
an anonymous upload is refused before Django writes a temporary file; Range
headers nginx or Apache parse themselves never turn into a 5xx.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from tests.integration.conftest import MIB
from tests.integration.support import PortalStack
from tests.integration.test_upload_limit import eventually
from tests.tooling import MultipartBody, PortalClient, Sample

pytestmark = pytest.mark.integration

RANGES = (
    "bytes=0-0",
    "bytes=-1",
    "bytes=5-1",
    "bytes=99999999999-",
    "bytes=0-99999999999999999999999",
    "bytes=" + "9" * 5000 + "-",
    "bytes=" + ",".join(f"{n}-{n}" for n in range(500)),
    "bytes=--1",
    "bytes=a-b",
    "bytes=\u0661-\u0662",
    "items=0-1",
)


def trickle(stack: PortalStack, length: int) -> socket.socket:
    """A connection that announces an upload of `length` bytes and sends one."""
    parts = urlsplit(stack.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    head = (
        f"POST /files/upload/ HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {length}\r\n\r\n"
    )
    sock.sendall(head.encode() + b"-")
    return sock


def test_slow_uploads_do_not_hold_the_app_servers_workers(signed_stack: PortalStack) -> None:
    # nginx only (this stack is one): Apache streams request bodies to gunicorn,
    # so there a slow upload holds a worker thread (docs/security.md).
    alice = signed_stack.login("alice")
    posts = len(signed_stack.gunicorn_log("POST /files/upload/", timeout=0))
    # More stalled uploads than gunicorn has workers (2 here, 4 threads each).
    stalled = [trickle(signed_stack, MIB) for _ in range(12)]
    try:
        time.sleep(0.5)
        started = time.monotonic()
        response = alice.session.get(f"{signed_stack.url}/files/", timeout=10)
        assert response.status_code == 200
        assert time.monotonic() - started < 3
        # None of them has reached Python: nginx still holds their bodies.
        assert len(signed_stack.gunicorn_log("POST /files/upload/", timeout=0)) == posts
    finally:
        for sock in stalled:
            sock.close()


@pytest.mark.parametrize("size", [32 * 1024, 3 * MIB, 64 * MIB])
def test_an_anonymous_upload_is_sent_to_log_in_and_leaves_no_temporary_file(
    stack: PortalStack, tmp_path, size: int
) -> None:
    sample = Sample.write(tmp_path, "anonymous.bin", size)
    body = MultipartBody({"csrfmiddlewaretoken": "a" * 32}, [(sample.name, sample.path)])
    rows = stack.row_count()
    response = requests.post(
        f"{stack.url}/files/upload/",
        data=body,
        headers={"Content-Type": body.content_type, "Cookie": "csrftoken=" + "a" * 32},
        allow_redirects=False,
        timeout=60,
    )
    # Refused before a byte was parsed, and the redirect arrives however big
    # the body (read to its end unparsed, not cut off into a 502).
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/login/?next=/files/upload/"
    assert stack.row_count() == rows
    assert eventually(lambda: stack.temp_files() == set()), stack.temp_files()


@pytest.mark.parametrize("header", RANGES)
def test_the_front_server_answers_any_range_cleanly(
    alice: PortalClient, uploaded: dict[str, str], header: str
) -> None:
    # requests sends str headers as latin-1: the UTF-8 bytes of the header, as sent.
    download = alice.download(uploaded["five-mib.bin"], Range=header.encode().decode("latin-1"))
    assert download.status in {200, 206, 416}, download.status
