"""PORTAL_STORAGE=s3 on a real SeaweedFS behind a real nginx, used over HTTP as a person would.

Two stacks, one bucket each: `nginx` (X-Accel-Redirect to /_s3/, which
proxies a presigned URL) and `redirect` (PORTAL_S3_REDIRECT=1: a 302 to the
presigned URL, which the client follows to the store).
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from deploy.seaweedfs import SeaweedFS
from files.contract import DOWNLOAD_CSP, STORAGE_KEY, storage_key
from tests.integration.conftest import BIG, DEFAULT_LIMIT, ODD_NAMES
from tests.integration.support import (
    PortalStack,
    base_env,
    disposition_filename,
    manage,
    require,
)
from tests.tooling import Download, MultipartBody, PortalClient, Sample

pytestmark = pytest.mark.integration

NON_ASCII = ODD_NAMES[0]  # "rapport d’été 2026.pdf"
CHECKED = ("empty.bin", NON_ASCII, BIG)
MODES = ("nginx", "redirect")
# Seconds nginx and the S3 client wait for a store that does not answer.
TIMEOUT = 3


def only(mode: str) -> pytest.MarkDecorator:
    """Run a test on one of the two stacks: the redirect mode sends the store's own
    headers and answers its own validators, by design."""
    return pytest.mark.parametrize("s3", [mode], indirect=True)


@dataclass
class S3Stack:
    portal: PortalStack
    store: SeaweedFS
    bucket: str
    mode: str
    alice: PortalClient
    bob: PortalClient
    ids: dict[str, str]

    def keys(self) -> set[str]:
        return self.store.keys(self.bucket)

    def row(self, file_id: str) -> tuple[int, str]:
        """(owner id, content type) of a file, from the stack's own database."""
        with sqlite3.connect(f"file:{self.portal.db_path}?mode=ro", uri=True) as db:
            return db.execute(
                "SELECT owner_id, content_type FROM files_uploadedfile WHERE id = ?",
                (file_id.replace("-", ""),),
            ).fetchone()

    def key_of(self, file_id: str) -> str:
        return storage_key(self.row(file_id)[0], file_id)

    def fetch(self, client: PortalClient, file_id: str, **headers: str) -> Download:
        """What the person's client ends up with: in redirect mode, it follows the 302."""
        download = client.download(file_id, **headers)
        if self.mode == "nginx" or download.status != 302:
            return download
        return get(download.headers["Location"], **headers)


def get(url: str, **headers: str) -> Download:
    """A GET with no cookies (the store is another origin), body hashed as it streams."""
    return Download.read(requests.get(url, headers=headers, stream=True, timeout=120))


@pytest.fixture(scope="module", params=MODES)
def s3(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    static_root: Path,
    seaweedfs: SeaweedFS,
    samples: dict[str, Sample],
) -> Iterator[S3Stack]:
    """A stack on its own bucket, with every sample uploaded by alice."""
    require("nginx")
    mode: str = request.param
    bucket = f"portal-{mode}"
    seaweedfs.create_bucket(bucket)
    root = tmp_path_factory.mktemp(f"s3-{mode}-stack")
    env = base_env(
        root,
        PORTAL_STATIC_ROOT=str(static_root),
        **seaweedfs.django_env(bucket),
        PORTAL_S3_TIMEOUT=str(TIMEOUT),
    )
    if mode == "redirect":
        env["PORTAL_S3_REDIRECT"] = "1"
    portal = PortalStack("nginx", root, env, DEFAULT_LIMIT, root / "media")
    portal.start()
    try:
        alice, bob = portal.login("alice"), portal.login("bob")
        big = samples[BIG]
        for batch in ([big], [s for s in samples.values() if s is not big]):
            response = alice.upload(*batch)
            assert response.status_code == 302, response.text[:2000]
        ids = {name: alice.file_id(name) for name in samples}
        yield S3Stack(portal, seaweedfs, bucket, mode, alice, bob, ids)
    finally:
        portal.stack.stop()


def test_each_upload_is_an_object_under_its_key_and_not_on_disk(s3: S3Stack) -> None:
    assert s3.keys() == {s3.key_of(file_id) for file_id in s3.ids.values()}
    assert all(STORAGE_KEY.fullmatch(key) for key in s3.keys())
    assert s3.portal.media_files() == set()
    assert s3.portal.temp_files() == set()


@pytest.mark.parametrize("name", CHECKED)
def test_it_returns_the_bytes_uploaded(s3: S3Stack, samples: dict[str, Sample], name: str) -> None:
    download = s3.fetch(s3.alice, s3.ids[name])

    assert download.status == 200
    assert (download.size, download.sha256) == (samples[name].size, samples[name].sha256)
    assert int(download.headers["Content-Length"]) == samples[name].size
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition_filename(disposition) == name


@only("nginx")
def test_nginx_sends_our_headers_and_hides_the_stores(
    s3: S3Stack, samples: dict[str, Sample]
) -> None:
    download = s3.fetch(s3.alice, s3.ids[NON_ASCII])

    headers = download.headers
    assert headers["Content-Type"] == s3.row(s3.ids[NON_ASCII])[1]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == DOWNLOAD_CSP
    assert headers["Cache-Control"] == "private"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["ETag"] == f'"{samples[NON_ASCII].sha256}"'
    assert "filename*=utf-8''" in headers["Content-Disposition"]
    assert "SeaweedFS" not in headers.get("Server", "")
    leaked = [h for h in headers if h.lower().startswith(("x-amz", "seaweed", "x-accel"))]
    assert leaked == []


def test_python_does_not_send_the_body(s3: S3Stack, samples: dict[str, Sample]) -> None:
    file_id = s3.ids[BIG]

    download = s3.fetch(s3.alice, file_id)

    assert download.size == samples[BIG].size
    # The app server nginx asks (granian) answers with a header and no body.
    with s3.alice.session.get(
        f"{s3.portal.stack.click_url}/files/{file_id}/download/",
        stream=True,
        allow_redirects=False,
        timeout=30,
    ) as answer:
        assert answer.status_code in (200, 302)
        assert "X-Accel-Redirect" in answer.headers or "Location" in answer.headers
        assert answer.raw.read() == b""


def test_it_answers_a_range_with_the_slice(s3: S3Stack, samples: dict[str, Sample]) -> None:
    sample = samples["five-mib.bin"]
    with sample.path.open("rb") as stream:
        stream.seek(1_000_000)
        expected = stream.read(1000)

    download = s3.fetch(s3.alice, s3.ids[sample.name], Range="bytes=1000000-1000999")

    assert download.status == 206
    assert download.head == expected
    assert download.headers["Content-Range"] == f"bytes 1000000-1000999/{sample.size}"


@only("nginx")
def test_a_head_request_gets_the_headers_without_the_body(
    s3: S3Stack, samples: dict[str, Sample]
) -> None:
    # The URL was presigned for GET; nginx asks the store with GET and sends no body.
    sample = samples["five-mib.bin"]
    response = s3.alice.session.head(
        f"{s3.portal.url}/files/{s3.ids[sample.name]}/download/", timeout=30
    )

    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == sample.size
    assert response.content == b""


@only("nginx")
def test_a_range_past_the_end_gets_416(s3: S3Stack, samples: dict[str, Sample]) -> None:
    sample = samples["five-mib.bin"]

    download = s3.fetch(s3.alice, s3.ids[sample.name], Range=f"bytes={sample.size}-")

    assert download.status == 416
    assert "x-amz-request-id" not in download.headers


@only("nginx")
def test_it_sends_the_whole_file_when_if_range_names_another_version(
    s3: S3Stack, samples: dict[str, Sample]
) -> None:
    sample = samples["five-mib.bin"]

    download = s3.fetch(
        s3.alice, s3.ids[sample.name], Range="bytes=0-9", **{"If-Range": '"another"'}
    )

    assert download.status == 200
    assert download.sha256 == sample.sha256


def test_it_answers_if_none_match_with_304(s3: S3Stack) -> None:
    file_id = s3.ids["five-mib.bin"]
    etag = s3.fetch(s3.alice, file_id).headers["ETag"]

    download = s3.fetch(s3.alice, file_id, **{"If-None-Match": etag})

    assert download.status == 304
    assert download.size == 0


def test_a_stranger_gets_404(s3: S3Stack) -> None:
    download = s3.bob.download(s3.ids["five-mib.bin"])

    assert download.status == 404
    assert "Location" not in download.headers


def test_the_store_refuses_an_unsigned_or_altered_request(s3: S3Stack) -> None:
    key = s3.key_of(s3.ids["five-mib.bin"])
    assert get(f"{s3.store.endpoint_url}/{s3.bucket}/{key}").status == 403

    presigned = s3.store.client().generate_presigned_url(
        "get_object", Params={"Bucket": s3.bucket, "Key": key}, ExpiresIn=60
    )
    assert get(presigned).status == 200
    altered = re.sub(
        r"(X-Amz-Signature=)(.)", lambda m: m[1] + ("0" if m[2] != "0" else "1"), presigned
    )
    assert get(altered).status == 403


def test_the_internal_location_is_unreachable_from_outside(s3: S3Stack) -> None:
    key = s3.key_of(s3.ids["five-mib.bin"])
    response = requests.get(f"{s3.portal.url}/_s3/abc/{s3.bucket}/{key}", timeout=30)

    assert response.status_code == 404


@only("redirect")
def test_the_redirect_is_a_short_lived_sigv4_url_with_our_headers(s3: S3Stack) -> None:
    response = s3.alice.download(s3.ids[NON_ASCII]).response

    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "private, no-store"
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == s3.store.endpoint_url
    query = parse_qs(location.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert query["response-content-disposition"][0].startswith("attachment;")


def test_delete_keeps_the_object_in_the_trash_and_delete_forever_removes_it(
    s3: S3Stack, samples: dict[str, Sample]
) -> None:
    sample = samples["five-mib.bin"]
    response = s3.alice.upload(sample)  # a second copy: stored as "five-mib (1).bin"
    assert response.status_code == 302
    [new_id] = s3.alice.file_ids("five-mib (1).bin")
    assert new_id != s3.ids[sample.name]
    key = s3.key_of(new_id)
    assert key in s3.keys()

    delete_url = f"{s3.portal.url}/files/{new_id}/delete/"
    response = s3.alice.session.post(
        delete_url,
        data={"csrfmiddlewaretoken": s3.alice.csrf_token},
        headers={"Referer": delete_url},
        allow_redirects=False,
        timeout=30,
    )

    assert response.status_code == 302
    assert key in s3.keys()  # in the trash: restorable
    assert s3.alice.download(new_id).status == 404

    assert s3.alice.post_form(f"/files/{new_id}/purge/").status_code == 302
    assert key not in s3.keys()


def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@only("nginx")
def test_a_store_that_does_not_answer_gives_503_and_504_then_recovers(
    s3: S3Stack, samples: dict[str, Sample]
) -> None:
    sample = samples["five-mib.bin"]
    keys, rows = s3.keys(), s3.portal.row_count()
    s3.store.pause()
    try:
        upload = s3.alice.upload(sample)
        download = s3.alice.download(s3.ids[sample.name])
    finally:
        s3.store.resume()

    assert upload.status_code == 503
    assert "could not be stored" in upload.text
    assert "Traceback" not in upload.text
    assert download.status == 504
    assert s3.portal.row_count() == rows
    assert s3.keys() == keys
    assert _wait_for(lambda: s3.portal.temp_files() == set()), s3.portal.temp_files()

    # Back: the very next requests work.
    assert s3.alice.download(s3.ids[sample.name]).sha256 == sample.sha256
    assert s3.alice.upload(sample).status_code == 302
    assert s3.portal.row_count() == rows + 1


# A drop box goes through the same intake as the owner's upload, so it fails the same way.
DROP_BOX = """
import uuid
from accounts.models import User
from files.folders import tree
from files.models import Link
from files.sharing import grants
alice = User.objects.get(username="alice")
inbox = tree.create_folder(alice, None, f"Inbox {uuid.uuid4().hex[:8]}")
print(grants.create_link(inbox, kind=Link.Kind.DROP)[1])
"""


def open_drop_box(s3: S3Stack) -> tuple[PortalClient, str]:
    """A new drop box of alice's (made in the stack's own Django), opened by a visitor."""
    token = manage(s3.portal.manage_env, "shell", "-c", DROP_BOX).splitlines()[-1]
    visitor = PortalClient(s3.portal.url)
    visitor.session.get(f"{visitor.url}/s/{token}/", timeout=30).raise_for_status()
    return visitor, token


def drop(visitor: PortalClient, token: str, sample: Sample, *, json: bool) -> requests.Response:
    body = MultipartBody({"csrfmiddlewaretoken": visitor.csrf_token}, [(sample.name, sample.path)])
    headers = {"Content-Type": body.content_type, "Referer": f"{visitor.url}/s/{token}/"}
    if json:
        headers["Accept"] = "application/json"
    return visitor.session.post(
        f"{visitor.url}/s/{token}/drop/",
        data=body,
        headers=headers,
        allow_redirects=False,
        timeout=120,
    )


@only("nginx")
@pytest.mark.parametrize("as_json", [False, True], ids=["html", "json"])
def test_a_drop_while_the_store_does_not_answer_gets_503_and_leaves_nothing(
    s3: S3Stack, samples: dict[str, Sample], as_json: bool
) -> None:
    sample = samples["five-mib.bin"]
    visitor, token = open_drop_box(s3)
    keys, rows = s3.keys(), s3.portal.row_count()
    s3.store.pause()
    try:
        refused = drop(visitor, token, sample, json=as_json)
    finally:
        s3.store.resume()

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "60"
    if as_json:
        assert refused.json()["errors"][0]["code"] == "store_unavailable"
    else:
        assert "could not be stored" in refused.text
    assert "Traceback" not in refused.text
    assert s3.portal.row_count() == rows
    assert s3.keys() == keys
    assert _wait_for(lambda: s3.portal.temp_files() == set()), s3.portal.temp_files()
    # Back: the very next drop is taken.
    assert drop(visitor, token, sample, json=as_json).status_code == (201 if as_json else 302)
    assert s3.portal.row_count() == rows + 1


@only("nginx")
def test_a_drop_whose_rows_cannot_be_written_leaves_no_object_behind(
    s3: S3Stack, samples: dict[str, Sample]
) -> None:
    """The bytes reach the store, then the INSERT fails: the intake removes the object.

    The test holds SQLite's write lock (WAL: the drop's reads go on) past the
    stack's 20 s busy timeout, so the drop's INSERT fails after its bytes were
    stored; the database error answers 503 (portal.views).
    """
    sample = samples["five-mib.bin"]
    visitor, token = open_drop_box(s3)
    keys, rows = s3.keys(), s3.portal.row_count()
    db = sqlite3.connect(s3.portal.db_path, timeout=1, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        refused = drop(visitor, token, sample, json=True)
        db.execute("ROLLBACK")
    finally:
        db.close()

    assert refused.status_code == 503
    assert s3.portal.row_count() == rows
    assert s3.keys() == keys
    assert _wait_for(lambda: s3.portal.temp_files() == set()), s3.portal.temp_files()
