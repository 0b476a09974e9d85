"""Downloads through the real stack: Django decides, nginx or Apache sends the bytes."""

from __future__ import annotations

import time
from collections.abc import Mapping

import pytest

from files.contract import DOWNLOAD_CSP
from tests.integration.conftest import BIG, SIZES
from tests.integration.support import PortalStack, disposition_filename
from tests.tooling import PortalClient, Sample

pytestmark = pytest.mark.integration

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": DOWNLOAD_CSP,
    "Cache-Control": "private",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
INTERNAL_HEADERS = ("X-Accel-Redirect", "X-Sendfile")


def assert_served_safely(headers: Mapping[str, str]) -> None:
    for name, value in SECURITY_HEADERS.items():
        # requests joins repeated headers with ", ": equality also rules out duplicates.
        assert headers.get(name) == value, f"{name}: {headers.get(name)!r}"
    for name in INTERNAL_HEADERS:
        assert name not in headers, f"{name} reached the client"


@pytest.mark.parametrize("name", list(SIZES))
def test_it_returns_the_bytes_uploaded(
    alice: PortalClient, uploaded: dict[str, str], samples: dict[str, Sample], name: str
) -> None:
    download = alice.download(uploaded[name])

    assert download.status == 200
    assert download.size == samples[name].size
    assert download.sha256 == samples[name].sha256
    assert int(download.headers["Content-Length"]) == samples[name].size


@pytest.mark.parametrize("name", list(SIZES))
def test_it_names_the_file_as_uploaded(
    alice: PortalClient, uploaded: dict[str, str], name: str
) -> None:
    disposition = alice.download(uploaded[name]).headers["Content-Disposition"]

    assert disposition.startswith("attachment;")
    assert disposition_filename(disposition) == name
    if not name.isascii():
        assert "filename*=utf-8''" in disposition


def test_python_does_not_send_the_body(
    stack: PortalStack, alice: PortalClient, uploaded: dict[str, str], samples: dict[str, Sample]
) -> None:
    file_id = uploaded[BIG]

    download = alice.download(file_id)

    assert download.size == samples[BIG].size
    # The app server the front server asks (granian behind nginx, gunicorn
    # behind Apache) answers with a header and no body; streaming would be 200 MiB.
    with alice.session.get(
        f"{stack.stack.click_url}/files/{file_id}/download/", stream=True, timeout=30
    ) as answer:
        assert answer.status_code == 200
        assert "X-Accel-Redirect" in answer.headers or "X-Sendfile" in answer.headers
        assert answer.raw.read() == b""


def test_it_answers_a_range_with_the_slice(
    alice: PortalClient, uploaded: dict[str, str], samples: dict[str, Sample]
) -> None:
    sample = samples["five-mib.bin"]
    expected = sample.path.read_bytes()[1000:2000]

    download = alice.download(uploaded[sample.name], Range="bytes=1000-1999")

    assert download.status == 206
    assert download.head == expected
    assert download.headers["Content-Range"] == f"bytes 1000-1999/{sample.size}"
    assert_served_safely(download.headers)


def test_it_answers_a_suffix_range_of_the_big_file(
    alice: PortalClient, uploaded: dict[str, str], samples: dict[str, Sample]
) -> None:
    sample = samples[BIG]
    with sample.path.open("rb") as source:
        source.seek(-4096, 2)
        expected = source.read()

    download = alice.download(uploaded[BIG], Range="bytes=-4096")

    assert download.status == 206
    assert download.head == expected


def test_it_answers_if_none_match_with_304(alice: PortalClient, uploaded: dict[str, str]) -> None:
    file_id = uploaded["five-mib.bin"]
    etag = alice.download(file_id).headers["ETag"]

    download = alice.download(file_id, **{"If-None-Match": etag})

    assert download.status == 304
    assert download.size == 0
    assert_served_safely(download.headers)


def test_it_answers_if_modified_since_with_304(
    alice: PortalClient, uploaded: dict[str, str]
) -> None:
    file_id = uploaded["five-mib.bin"]
    last_modified = alice.download(file_id).headers["Last-Modified"]

    download = alice.download(file_id, **{"If-Modified-Since": last_modified})

    assert download.status == 304
    assert download.size == 0


def test_it_sends_the_security_headers(alice: PortalClient, uploaded: dict[str, str]) -> None:
    download = alice.download(uploaded["日本語.txt"])

    assert download.status == 200
    assert_served_safely(download.headers)


def test_the_front_server_logs_no_errors(
    stack: PortalStack, alice: PortalClient, uploaded: dict[str, str]
) -> None:
    alice.download(uploaded["five-mib.bin"])
    # A connection to gunicorn left waiting for a body that never comes shows
    # up once gunicorn's keep-alive (2 s in these stacks) closes it.
    time.sleep(3)

    assert stack.front_errors() == []
