"""Signed URLs through the real nginx: Django checks once, nginx's secure_link the rest."""

from __future__ import annotations

import re
import time

import pytest
import requests

from files.delivery import nginx
from tests.integration.support import PortalStack, disposition_filename
from tests.integration.test_downloads import SECURITY_HEADERS, assert_served_safely
from tests.tooling import PortalClient, Sample

pytestmark = pytest.mark.integration

# Headers whose values depend on the moment or the file's inode.
VOLATILE = {"Date", "ETag", "Last-Modified"}


# alice and bob here are the signed stack's users, not the X-Accel stack's.
@pytest.fixture(scope="session")
def alice(signed_stack: PortalStack) -> PortalClient:
    return signed_stack.login("alice")


@pytest.fixture(scope="session")
def bob(signed_stack: PortalStack) -> PortalClient:
    return signed_stack.login("bob")


def signed(client: PortalClient, file_id: str, view: str = "download") -> str:
    """The signed URL the permission-checked view answers with."""
    response = client.session.get(
        f"{client.url}/files/{file_id}/{view}/", allow_redirects=False, timeout=30
    )
    assert response.status_code == 302, response.status_code
    assert response.headers["Cache-Control"] == "private, no-store"
    location = response.headers["Location"]
    assert location.startswith("/_signed/")
    return location


def get(stack: PortalStack, path: str, **headers: str) -> requests.Response:
    """A request with no cookie at all: the signature alone opens the file."""
    return requests.get(stack.url + path, headers=headers, allow_redirects=False, timeout=60)


def resign(url: str, expires: int, secret: str) -> str:
    """`url` signed again by files.delivery.nginx.sign with another expiry."""
    path, _, query = url.partition("?")
    rest = path.split("/", 4)[4]  # after /_signed/<signature>/<expiry>/
    new = f"/{expires}/{rest}"
    return f"/_signed/{nginx.sign(new, query, secret)}{new}" + (f"?{query}" if query else "")


def test_it_sends_the_bytes_through_the_signed_url(
    signed_stack: PortalStack,
    alice: PortalClient,
    signed_uploaded: dict[str, str],
    signed_samples: dict[str, Sample],
) -> None:
    for name, file_id in signed_uploaded.items():
        response = get(signed_stack, signed(alice, file_id))
        assert response.status_code == 200, name
        assert response.content == signed_samples[name].path.read_bytes(), name
        assert response.headers["Content-Length"] == str(signed_samples[name].size)
    # Repeats hit nginx only: gunicorn never saw a signed URL.
    assert signed_stack.gunicorn_log("/_signed/", timeout=0.5) == []


def test_a_browsers_click_gets_the_file_in_one_hop_from_granian(
    signed_stack: PortalStack,
    alice: PortalClient,
    signed_uploaded: dict[str, str],
    signed_samples: dict[str, Sample],
) -> None:
    file_id = signed_uploaded["notes.bin"]
    # What a browser sends when a link is clicked.
    navigation = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}

    download = alice.download(file_id, **navigation)

    assert download.status == 200
    assert download.head == signed_samples["notes.bin"].path.read_bytes()
    assert download.headers["Content-Disposition"] == 'attachment; filename="notes.bin"'
    assert download.headers["Cache-Control"] == "private"
    assert_served_safely(download.headers)
    # nginx sent the click to granian, not to gunicorn.
    granian = f"127.0.0.1:{signed_stack.stack.granian_port}"
    upstreams = signed_stack.upstreams(f"/files/{file_id}/download/")
    assert upstreams and set(upstreams) == {granian}, upstreams  # earlier tests clicked it too
    assert signed_stack.gunicorn_log(f"/files/{file_id}/download/", timeout=0.5) == []
    # A client that is not navigating still gets the signed URL.
    assert signed(alice, file_id).startswith("/_signed/")


def test_a_png_preview_has_exactly_the_x_accel_headers(
    signed_stack: PortalStack, alice: PortalClient, signed_uploaded: dict[str, str]
) -> None:
    response = get(signed_stack, signed(alice, signed_uploaded["pic.png"], "preview"))

    assert response.status_code == 200
    assert {k: v for k, v in response.headers.items() if k not in VOLATILE} == {
        "Server": "nginx",
        "Content-Type": "image/png",
        "Content-Length": str(len(response.content)),
        "Connection": "keep-alive",
        "Content-Disposition": 'inline; filename="pic.png"',
        "Accept-Ranges": "bytes",
        **SECURITY_HEADERS,
    }
    assert VOLATILE <= set(response.headers)


@pytest.mark.parametrize(
    ("name", "content_type", "disposition"),
    [
        (
            "rapport d’été 2026.pdf",
            "application/octet-stream",
            'attachment; filename="rapport_d_ete_2026.pdf"; '
            "filename*=utf-8''rapport%20d%E2%80%99%C3%A9t%C3%A9%202026.pdf",
        ),
        ("notes.bin", "application/octet-stream", 'attachment; filename="notes.bin"'),
        # The same header Django writes: files.delivery.headers.content_disposition().
        (
            'say "hi" 50%.bin',
            "application/octet-stream",
            "attachment; filename=\"say_hi_50_.bin\"; filename*=utf-8''say%20%22hi%22%2050%25.bin",
        ),
    ],
)
def test_an_attachment_is_named_per_rfc_6266(
    signed_stack: PortalStack,
    alice: PortalClient,
    signed_uploaded: dict[str, str],
    name: str,
    content_type: str,
    disposition: str,
) -> None:
    response = get(signed_stack, signed(alice, signed_uploaded[name]))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Disposition"] == disposition
    assert disposition_filename(disposition) == name
    assert_served_safely(response.headers)


def test_the_download_url_never_sends_a_png_inline(
    signed_stack: PortalStack, alice: PortalClient, signed_uploaded: dict[str, str]
) -> None:
    response = get(signed_stack, signed(alice, signed_uploaded["pic.png"]))

    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"] == 'attachment; filename="pic.png"'


KEY = re.compile(r"u/[0-9]+/[0-9a-f-]{36}")


def _tampered(url: str, other: str) -> dict[str, str]:
    signature, expires = url.split("/")[2:4]
    other_signature = other.split("/")[2]
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return {
        "signature": url.replace(signature, flipped),
        "no signature": url.replace(f"/{signature}/", "/"),
        "inline": url.replace("/attachment/", "/inline/"),
        "type": url.replace("/application/octet-stream/", "/text/html/"),
        "name": url.replace("/notes.bin", "/notes.html"),
        "encoded name added": url + "?notes%20evil.html",
        "later expiry": url.replace(f"/{expires}/", f"/9{expires}/"),
        "extra argument": url + "?t=text/html",
        "other file's signature": url.replace(signature, other_signature),
        "other file's key": KEY.sub(KEY.search(other)[0], url),  # type: ignore[index]
        "not a key": KEY.sub("u/1/not-a-uuid", url),
    }


# Never reach the signed location (no path of its shape): nginx's bare 404.
NOT_SIGNED_PATHS = {"no signature", "not a key"}


@pytest.mark.parametrize(
    "change",
    [
        "signature",
        "no signature",
        "inline",
        "type",
        "name",
        "encoded name added",
        "later expiry",
        "extra argument",
        "other file's signature",
        "other file's key",
        "not a key",
    ],
)
def test_a_tampered_link_is_404(
    signed_stack: PortalStack, alice: PortalClient, signed_uploaded: dict[str, str], change: str
) -> None:
    path = signed(alice, signed_uploaded["notes.bin"])
    other = signed(alice, signed_uploaded["five-mib.bin"])

    response = get(signed_stack, _tampered(path, other)[change])

    assert response.status_code == 404
    assert "Content-Disposition" not in response.headers
    assert len(response.content) < 1000
    if change not in NOT_SIGNED_PATHS:
        assert_served_safely(response.headers)


def test_an_expired_link_goes_back_to_the_permission_check(
    signed_stack: PortalStack,
    alice: PortalClient,
    bob: PortalClient,
    signed_uploaded: dict[str, str],
) -> None:
    file_id = signed_uploaded["pic.png"]
    secret = signed_stack.env["PORTAL_SIGNED_URL_SECRET"]
    expired = resign(signed(alice, file_id, "preview"), int(time.time()) - 1, secret)

    response = get(signed_stack, expired)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/files/{file_id}/preview/"
    # The redirect names no file: nginx's own type, no disposition, every safety header.
    assert response.headers["Content-Type"] == "text/html"
    assert "Content-Disposition" not in response.headers
    assert_served_safely(response.headers)
    # Alice still may: a fresh link. Bob may not: 404 from Django.
    assert get(signed_stack, signed(alice, file_id, "preview")).status_code == 200
    stranger = bob.session.get(signed_stack.url + response.headers["Location"], timeout=30)
    assert stranger.status_code == 404


def test_a_stranger_gets_404_and_no_link(
    signed_stack: PortalStack, bob: PortalClient, signed_uploaded: dict[str, str]
) -> None:
    download = bob.download(signed_uploaded["notes.bin"])

    assert download.status == 404
    assert "Location" not in download.headers
    assert b"_signed" not in download.head


def test_it_answers_a_range_with_the_slice(
    signed_stack: PortalStack,
    alice: PortalClient,
    signed_uploaded: dict[str, str],
    signed_samples: dict[str, Sample],
) -> None:
    sample = signed_samples["five-mib.bin"]
    path = signed(alice, signed_uploaded[sample.name])

    response = get(signed_stack, path, Range="bytes=1000-1999")
    several = get(signed_stack, path, Range="bytes=0-9,20-29")

    assert response.status_code == 206
    assert response.content == sample.path.read_bytes()[1000:2000]
    assert response.headers["Content-Range"] == f"bytes 1000-1999/{sample.size}"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert_served_safely(response.headers)
    # Never multipart/byteranges beside the signed type: the whole file, as Django does.
    assert several.status_code == 200
    assert several.headers["Content-Type"] == "application/octet-stream"


def test_it_answers_conditional_requests_with_304(
    signed_stack: PortalStack, alice: PortalClient, signed_uploaded: dict[str, str]
) -> None:
    path = signed(alice, signed_uploaded["pic.png"], "preview")
    first = get(signed_stack, path)

    by_etag = get(signed_stack, path, **{"If-None-Match": first.headers["ETag"]})
    by_date = get(signed_stack, path, **{"If-Modified-Since": first.headers["Last-Modified"]})

    for response in (by_etag, by_date):
        assert response.status_code == 304
        assert response.content == b""
        assert_served_safely(response.headers)
        # As the X-Accel-Redirect path: a 304 names no type.
        assert "Content-Type" not in response.headers


def test_the_front_server_logs_no_errors(
    signed_stack: PortalStack, alice: PortalClient, signed_uploaded: dict[str, str]
) -> None:
    get(signed_stack, signed(alice, signed_uploaded["five-mib.bin"]))

    assert signed_stack.front_errors() == []


def test_a_deleted_file_is_gone_at_once(
    signed_stack: PortalStack, alice: PortalClient, tmp_path_factory: pytest.TempPathFactory
) -> None:
    sample = Sample.write(tmp_path_factory.mktemp("doomed"), "doomed.bin", 4096)
    assert alice.upload(sample).status_code == 302
    file_id = alice.file_id(sample.name)
    path = signed(alice, file_id)

    # To the trash, then forever: a signed URL issued before serves trashed
    # bytes until its TTL (docs/security.md); deleting forever ends it at once.
    deleted = alice.delete(file_id, forever=True)
    response = get(signed_stack, path)

    assert deleted.status_code == 302
    # Well within the TTL, but the bytes are gone.
    assert response.status_code == 404
    assert "Content-Disposition" not in response.headers
    assert response.headers["Content-Type"] == "text/html"
