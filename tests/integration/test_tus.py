"""Resumable uploads through the real stack with tuspy, a tus client nobody here wrote.

gunicorn behind nginx on local storage: a 300 MiB upload stopped at 100 MiB
and finished by a fresh client, termination, the quota, a stranger. Then two
app servers behind nginx on a real SeaweedFS (small files: S3 tests share
one store): every PATCH may land on the other server, the file ends as one
object, and an expired upload's multipart upload is aborted by the task.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError

from deploy import seaweedfs
from deploy.seaweedfs import SeaweedFS
from tests.availability import once_per_ci_run, skip_or_fail
from tests.integration.conftest import DEFAULT_LIMIT
from tests.integration.support import PASSWORD, PortalStack, base_env, manage, require
from tests.tooling import PortalClient, Sample, postgres_unavailable, scratch_database

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}


class CountingFile(io.RawIOBase):
    """A file that counts the bytes read from it: what the client sent."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("rb")
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.read_bytes += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        self.file.close()
        super().close()


def session_headers(client: PortalClient) -> dict[str, str]:
    """What a tus client sends to act as a signed-in browser: its cookies and CSRF token."""
    return {"Cookie": client.cookie_header(), "X-CSRFToken": client.csrf_token}


def shell(portal: PortalStack, code: str) -> str:
    """What `code` printed last in manage.py shell on the stack's data."""
    printed = manage(portal.stack.gunicorn_env(), "shell", "--no-imports", "-c", code)
    return printed.splitlines()[-1] if printed else ""


def reserved(portal: PortalStack, username: str) -> int:
    return int(
        shell(
            portal,
            "from files.models import ResumableUpload as R; from accounts.models import User; "
            f"print(R.objects.reserved_by(User.objects.get(username={username!r}).pk))",
        )
    )


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, static_root: Path) -> Iterator[PortalStack]:
    require("nginx")
    root = tmp_path_factory.mktemp("tus-stack")
    env = base_env(root, PORTAL_STATIC_ROOT=str(static_root))
    stack = PortalStack("nginx", root, env, DEFAULT_LIMIT, root / "media")
    stack.start()
    shell(
        stack,
        "from accounts.models import User; "
        f"User.objects.create_user('charlie', password={PASSWORD!r})",
    )
    yield stack
    stack.stack.stop()


def test_a_300_mib_upload_stopped_at_100_mib_is_finished_by_a_fresh_client(
    portal: PortalStack, tmp_path: Path
) -> None:
    sample = Sample.write(tmp_path, "three hundred.bin", 300 * MIB)
    alice = portal.login("alice")
    endpoint = f"{portal.url}/files/tus/"

    first = CountingFile(sample.path)
    uploader = TusClient(endpoint, headers=session_headers(alice)).uploader(
        file_stream=first, chunk_size=32 * MIB, metadata={"filename": sample.name}
    )
    uploader.upload(stop_at=100 * MIB)
    assert uploader.offset >= 100 * MIB
    assert uploader.offset < sample.size
    url = uploader.url

    # A fresh client, another session of alice's, knowing only the URL.
    second = CountingFile(sample.path)
    again = portal.login("alice")
    resumed = TusClient(endpoint, headers=session_headers(again)).uploader(
        file_stream=second, chunk_size=32 * MIB, url=url
    )
    assert resumed.offset == uploader.offset  # asked the server with HEAD
    resumed.upload()

    sent = first.read_bytes + second.read_bytes
    assert sent <= 1.1 * sample.size
    file_id = alice.file_id(sample.name)
    assert alice.download(file_id).sha256 == sample.sha256
    assert reserved(portal, "alice") == 0
    assert not list((portal.media_root / "tus").iterdir())
    first.close()
    second.close()


def test_termination_frees_the_reservation(portal: PortalStack, tmp_path: Path) -> None:
    sample = Sample.write(tmp_path, "to end.bin", 8 * MIB)
    bob = portal.login("bob")
    headers = session_headers(bob)
    uploader = TusClient(f"{portal.url}/files/tus/", headers=headers).uploader(
        str(sample.path), chunk_size=2 * MIB, metadata={"filename": sample.name}
    )
    uploader.upload(stop_at=4 * MIB)
    assert reserved(portal, "bob") == 8 * MIB
    ended = requests.delete(uploader.url, headers={**TUS, **headers}, timeout=30)
    assert ended.status_code == 204
    assert reserved(portal, "bob") == 0
    assert requests.head(uploader.url, headers={**TUS, **headers}, timeout=30).status_code == 404


def test_a_creation_past_the_quota_is_413_before_a_byte_is_sent(
    portal: PortalStack, tmp_path: Path
) -> None:
    shell(
        portal,
        "from accounts.models import User; "
        "User.objects.filter(username='charlie').update(quota=5 * 1024 * 1024)",
    )
    sample = Sample.write(tmp_path, "too big.bin", 6 * MIB)
    charlie = portal.login("charlie")
    counting = CountingFile(sample.path)
    uploader = TusClient(f"{portal.url}/files/tus/", headers=session_headers(charlie)).uploader(
        file_stream=counting, chunk_size=2 * MIB, metadata={"filename": sample.name}
    )
    with pytest.raises(TusCommunicationError) as refused:
        uploader.upload()
    assert refused.value.status_code == 413
    assert b"over_quota" in refused.value.response_content
    assert counting.read_bytes == 0


def test_a_stranger_gets_404_for_someone_elses_upload(portal: PortalStack, tmp_path: Path) -> None:
    sample = Sample.write(tmp_path, "private.bin", 4 * MIB)
    alice = portal.login("alice")
    uploader = TusClient(f"{portal.url}/files/tus/", headers=session_headers(alice)).uploader(
        str(sample.path), chunk_size=1 * MIB, metadata={"filename": sample.name}
    )
    uploader.upload(stop_at=1 * MIB)
    charlie = session_headers(portal.login("charlie"))
    patch_headers = {**TUS, **charlie, "Upload-Offset": str(uploader.offset),
                     "Content-Type": "application/offset+octet-stream"}  # fmt: skip
    assert requests.head(uploader.url, headers={**TUS, **charlie}, timeout=30).status_code == 404
    assert requests.patch(uploader.url, b"x", headers=patch_headers, timeout=30).status_code == 404
    assert requests.delete(uploader.url, headers={**TUS, **charlie}, timeout=30).status_code == 404
    # Alice's upload is untouched: she finishes it.
    resumed = TusClient(f"{portal.url}/files/tus/", headers=session_headers(alice)).uploader(
        str(sample.path), chunk_size=1 * MIB, url=uploader.url
    )
    resumed.upload()
    assert alice.download(alice.file_id(sample.name)).sha256 == sample.sha256


def test_a_token_uploads_without_a_session_or_csrf(portal: PortalStack, tmp_path: Path) -> None:
    raw = manage(
        portal.stack.gunicorn_env(), "portal_token", "create", "bob", "--name", "tus"
    ).splitlines()[-1]
    sample = Sample.write(tmp_path, "by token.bin", 3 * MIB)
    uploader = TusClient(
        f"{portal.url}/files/tus/", headers={"Authorization": f"Bearer {raw}"}
    ).uploader(str(sample.path), chunk_size=1 * MIB, metadata={"filename": sample.name})
    uploader.upload()
    bob = portal.login("bob")
    assert bob.download(bob.file_id(sample.name)).sha256 == sample.sha256


DROP_BOX = """
from accounts.models import User
from files.folders import tree
from files.models import Link
from files.sharing import grants
alice = User.objects.get(username="alice")
inbox = tree.create_folder(alice, None, "Drop inbox")
print(grants.create_link(inbox, kind=Link.Kind.DROP)[1])
"""


def test_a_drop_visitor_resumes_through_the_link_and_only_that_session_continues(
    portal: PortalStack, tmp_path: Path
) -> None:
    token = manage(portal.stack.gunicorn_env(), "shell", "-c", DROP_BOX).splitlines()[-1]
    endpoint = f"{portal.url}/s/{token}/tus/"
    sample = Sample.write(tmp_path, "dropped.bin", 24 * MIB)
    before = reserved(portal, "alice")
    browser = requests.Session()  # an anonymous visitor's browser on the drop page
    browser.get(f"{portal.url}/s/{token}/", timeout=30).raise_for_status()
    csrf = browser.cookies.get("csrftoken")
    assert csrf is not None  # the drop page's CSRF cookie
    # The creation gives the visitor's link session its cookie; tuspy sends what it is given.
    created = browser.post(
        endpoint,
        headers={
            **TUS,
            "X-CSRFToken": csrf,
            "Upload-Length": str(sample.size),
            "Upload-Metadata": "filename " + base64.b64encode(b"dropped.bin").decode()
            + ",dropped_by " + base64.b64encode(b"Dana").decode(),
        },
        timeout=30,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    assert reserved(portal, "alice") == before + sample.size  # the owner's quota
    url = created.headers["Location"]
    cookies = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    headers = {"Cookie": cookies, "X-CSRFToken": csrf}

    first = CountingFile(sample.path)
    uploader = TusClient(endpoint, headers=headers).uploader(
        file_stream=first, chunk_size=4 * MIB, url=url
    )
    uploader.upload(stop_at=8 * MIB)
    assert 8 * MIB <= uploader.offset < sample.size

    # Another visitor of the same link, and the owner: 404.
    stranger = requests.Session()
    stranger.get(f"{portal.url}/s/{token}/", timeout=30)
    assert stranger.head(url, headers=TUS, timeout=30).status_code == 404
    alice = portal.login("alice")
    assert alice.session.head(url, headers=TUS, timeout=30).status_code == 404

    # A fresh client of the same link session, knowing only the URL, finishes it.
    second = CountingFile(sample.path)
    resumed = TusClient(endpoint, headers=headers).uploader(
        file_stream=second, chunk_size=4 * MIB, url=url
    )
    assert resumed.offset == uploader.offset
    resumed.upload()
    assert first.read_bytes + second.read_bytes <= 1.1 * sample.size
    assert alice.download(alice.file_id(sample.name)).sha256 == sample.sha256
    assert reserved(portal, "alice") == before
    dropped_by = shell(
        portal,
        "from files.models import Drop; "
        "print(Drop.objects.get(file__name='dropped.bin').dropped_by)",
    )
    assert dropped_by == "Dana"
    first.close()
    second.close()


# Two app servers, a real SeaweedFS.

BUCKET = "portal-tus"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def s3_portal(
    tmp_path_factory: pytest.TempPathFactory, static_root: Path
) -> Iterator[tuple[PortalStack, SeaweedFS]]:
    require("nginx")
    for reason in (postgres_unavailable(), seaweedfs.unavailable()):
        if reason:
            skip_or_fail(reason)
    root = tmp_path_factory.mktemp("tus-s3")
    with SeaweedFS(root / "seaweedfs", bucket=BUCKET) as store, scratch_database() as database_url:
        env = base_env(
            root,
            DATABASE_URL=database_url,
            REDIS_URL=REDIS_URL,
            PORTAL_STATIC_ROOT=str(static_root),
            **store.django_env(),
        )
        portal = PortalStack("nginx", root, env, DEFAULT_LIMIT, root / "media", app_servers=2)
        portal.start()
        try:
            yield portal, store
        finally:
            portal.stack.stop()


def multipart_uploads(store: SeaweedFS) -> list[dict[str, Any]]:
    return store.client().list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])


@once_per_ci_run
def test_on_s3_a_resumed_upload_through_two_app_servers_lands_as_one_object(
    s3_portal: tuple[PortalStack, SeaweedFS], tmp_path: Path
) -> None:
    portal, store = s3_portal
    sample = Sample.write(tmp_path, "twenty.bin", 20 * MIB + 12345)
    alice = portal.login("alice")
    endpoint = f"{portal.url}/files/tus/"
    uploader = TusClient(endpoint, headers=session_headers(alice)).uploader(
        str(sample.path), chunk_size=5 * MIB, metadata={"filename": sample.name}
    )
    uploader.upload(stop_at=7 * MIB)  # 5 MiB, then 2 MiB: a tail waits in the bucket
    assert multipart_uploads(store)
    resumed = TusClient(endpoint, headers=session_headers(portal.login("alice"))).uploader(
        str(sample.path), chunk_size=3 * MIB, url=uploader.url
    )
    resumed.upload()

    file_id = alice.file_id(sample.name)
    keys = store.keys(BUCKET)
    owned = [key for key in keys if key.startswith("u/")]
    assert len(owned) == 1 and owned[0].endswith(file_id)
    body = store.client().get_object(Bucket=BUCKET, Key=owned[0])["Body"].read()
    assert hashlib.sha256(body).hexdigest() == sample.sha256
    assert not [key for key in keys if key.startswith("tus/")]
    assert multipart_uploads(store) == []
    assert alice.download(file_id).sha256 == sample.sha256
    # Both app servers took PATCHes.
    for name in portal.stack.gunicorn_names:
        assert portal.gunicorn_log("PATCH /files/tus/", app_server=name)
    assert portal.media_files() == set()


@once_per_ci_run
def test_on_s3_the_task_aborts_an_expired_uploads_multipart_upload(
    s3_portal: tuple[PortalStack, SeaweedFS], tmp_path: Path
) -> None:
    portal, store = s3_portal
    sample = Sample.write(tmp_path, "abandoned.bin", 12 * MIB)
    alice = portal.login("alice")
    uploader = TusClient(f"{portal.url}/files/tus/", headers=session_headers(alice)).uploader(
        str(sample.path), chunk_size=6 * MIB, metadata={"filename": sample.name}
    )
    uploader.upload(stop_at=6 * MIB)
    assert multipart_uploads(store)
    assert any(key.startswith("tus/") for key in store.keys(BUCKET))  # the 1 MiB tail
    stale = portal.fsck("--no-hash")
    assert "stale" not in stale.stdout, stale.stdout
    shell(
        portal,
        "from datetime import timedelta; from django.utils import timezone; "
        "from files.models import ResumableUpload as R; "
        "R.objects.update(expires=timezone.now() - timedelta(minutes=1))",
    )
    stale = portal.fsck("--no-hash")
    assert "unfinished upload" in stale.stdout
    shell(portal, "from files.uploads.tasks import expire_uploads; expire_uploads.call()")
    assert multipart_uploads(store) == []
    assert not any(key.startswith("tus/") for key in store.keys(BUCKET))
    assert reserved(portal, "alice") == 0


@once_per_ci_run
def test_on_s3_an_empty_file_and_one_shorter_than_a_part_are_stored(
    s3_portal: tuple[PortalStack, SeaweedFS], tmp_path: Path
) -> None:
    portal, store = s3_portal
    alice = portal.login("alice")
    for sample in (Sample.write(tmp_path, "empty.txt", 0), Sample.write(tmp_path, "one.bin", 1)):
        uploader = TusClient(f"{portal.url}/files/tus/", headers=session_headers(alice)).uploader(
            str(sample.path), chunk_size=MIB, metadata={"filename": sample.name}
        )
        uploader.upload()
        assert alice.download(alice.file_id(sample.name)).sha256 == sample.sha256
    # Sniffed from byte ranges of the object (an image is decoded to be believed).
    picture = tmp_path / "picture.png"
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 90, 200)).save(buffer, format="PNG")
    picture.write_bytes(buffer.getvalue())
    uploader = TusClient(f"{portal.url}/files/tus/", headers=session_headers(alice)).uploader(
        str(picture), chunk_size=MIB, metadata={"filename": "picture.png"}
    )
    uploader.upload()
    download = alice.download(alice.file_id("picture.png"))
    assert download.headers["Content-Type"] == "image/png"
    assert multipart_uploads(store) == []


@once_per_ci_run
def test_on_s3_a_resumable_replace_keeps_the_file_and_its_old_bytes_as_a_version(
    s3_portal: tuple[PortalStack, SeaweedFS], tmp_path: Path
) -> None:
    portal, store = s3_portal
    alice = portal.login("alice")
    endpoint = f"{portal.url}/files/tus/"
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = Sample.write(tmp_path / "one", "report.bin", MIB)
    second = Sample.write(tmp_path / "two", "report.bin", 6 * MIB + 7)
    TusClient(endpoint, headers=session_headers(alice)).uploader(
        str(first.path), chunk_size=MIB, metadata={"filename": "report.bin"}
    ).upload()
    file_id = alice.file_id("report.bin")
    TusClient(endpoint, headers=session_headers(alice)).uploader(
        str(second.path),
        chunk_size=5 * MIB,
        metadata={"filename": "report.bin", "on_conflict": "replace"},
    ).upload()
    assert alice.file_ids("report") == [file_id]  # the same file, not "report (1).bin"
    assert alice.download(file_id).sha256 == second.sha256
    versions = shell(
        portal,
        "import json; from files.models import FileVersion as V; print(json.dumps("
        f"[(v.stored.name, v.size) for v in V.objects.filter(file_id={file_id!r})]))",
    )
    [(old_key, old_size)] = json.loads(versions)
    assert old_size == first.size
    old = store.client().get_object(Bucket=BUCKET, Key=old_key)["Body"].read()
    assert hashlib.sha256(old).hexdigest() == first.sha256
    assert multipart_uploads(store) == []
    assert reserved(portal, "alice") == 0
