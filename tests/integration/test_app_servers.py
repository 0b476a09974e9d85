"""Several app servers: two gunicorn masters behind one nginx, sharing PostgreSQL, Redis
and an S3 bucket on a real SeaweedFS.

Nothing one app server needs may live only in another's memory or disk: the
session (Redis, cached_db), the signing secret (the environment), the upload
(in the bucket before the answer). Sign in through one, upload through the
other, download through the first; then 20 concurrent uploads through nginx.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from deploy import seaweedfs
from deploy.seaweedfs import SeaweedFS
from tests.availability import once_per_ci_run, skip_or_fail
from tests.integration.conftest import DEFAULT_LIMIT
from tests.integration.support import PASSWORD, PortalStack, base_env, require
from tests.tooling import PortalClient, Sample, postgres_unavailable, scratch_database

pytestmark = [pytest.mark.integration, once_per_ci_run]

REDIS_URL = "redis://127.0.0.1:6379/0"
BUCKET = "portal-app-servers"
CONCURRENT_UPLOADS = 20


def redis_unavailable() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        return f"Redis at {REDIS_URL} does not answer: {error}"
    return None


@dataclass
class TwoAppServers:
    portal: PortalStack
    store: SeaweedFS

    def stored_sha256(self) -> dict[str, str]:
        """{key: sha256} of every object in the bucket."""
        client = self.store.client()
        return {
            key: hashlib.sha256(
                client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            ).hexdigest()
            for key in self.store.keys(BUCKET)
        }


@pytest.fixture(scope="module")
def two_app_servers(
    tmp_path_factory: pytest.TempPathFactory, static_root: Path
) -> Iterator[TwoAppServers]:
    require("nginx")
    for reason in (postgres_unavailable(), redis_unavailable()):
        if reason:
            skip_or_fail(reason)
    reason = seaweedfs.unavailable()
    if reason:
        skip_or_fail(reason)
    root = tmp_path_factory.mktemp("two-app-servers")
    # A store of its own: each bucket takes volumes from the session's store.
    with SeaweedFS(root / "seaweedfs", bucket=BUCKET) as store, scratch_database() as database_url:
        env = base_env(
            root,
            DATABASE_URL=database_url,
            # As the README's production example: the clicks' statements prepared.
            DATABASE_PREPARE_THRESHOLD="5",
            REDIS_URL=REDIS_URL,
            PORTAL_STATIC_ROOT=str(static_root),
            **store.django_env(),
        )
        portal = PortalStack("nginx", root, env, DEFAULT_LIMIT, root / "media", app_servers=2)
        portal.start()
        try:
            yield TwoAppServers(portal, store)
        finally:
            portal.stack.stop()


def test_a_session_from_one_app_server_works_on_the_other(
    two_app_servers: TwoAppServers, tmp_path: Path
) -> None:
    portal = two_app_servers.portal
    first, second = portal.stack.gunicorn_urls
    sample = Sample.write(tmp_path, "across app servers.bin", 256 * 1024)

    signed_in = PortalClient(first).login("alice", PASSWORD)
    # The same cookies, sent straight to the other gunicorn.
    other = PortalClient(second)
    other.session = signed_in.session
    uploaded = other.upload(sample)
    assert uploaded.status_code == 302, uploaded.text[:2000]
    file_id = signed_in.file_id(sample.name)

    # The first app server hands nginx the download (X-Accel-Redirect to the
    # bucket); through nginx, the bytes are the ones uploaded through the second.
    checked = signed_in.session.get(
        f"{first}/files/{file_id}/download/", allow_redirects=False, timeout=30
    )
    assert checked.status_code == 200
    assert checked.headers["X-Accel-Redirect"].startswith("/_s3/")
    download = PortalClient(portal.url)
    download.session = signed_in.session
    assert download.download(file_id).sha256 == sample.sha256

    assert portal.gunicorn_log("POST /accounts/login/", app_server="gunicorn")
    assert portal.gunicorn_log("POST /files/upload/", app_server="gunicorn-2")
    assert not portal.gunicorn_log("POST /files/upload/", 0, app_server="gunicorn")
    assert portal.media_files() == set()  # in the bucket, not on an app server's disk


def upload_posts(portal: PortalStack) -> list[int]:
    """How many uploads each app server has answered so far."""
    return [
        len(portal.gunicorn_log("POST /files/upload/", 0, app_server=name))
        for name in portal.stack.gunicorn_names
    ]


def test_concurrent_uploads_through_both_app_servers_are_all_kept(
    two_app_servers: TwoAppServers, tmp_path: Path
) -> None:
    portal = two_app_servers.portal
    # Several clients, as several people: two sessions each for alice and bob.
    clients = [PortalClient(portal.url).login(name, PASSWORD) for name in ("alice", "bob") * 2]
    samples = [
        Sample.write(tmp_path, f"concurrent-{i:02}.bin", 64 * 1024 * (i + 1))
        for i in range(CONCURRENT_UPLOADS)
    ]
    before = two_app_servers.stored_sha256()
    posts_before = upload_posts(portal)

    def upload(i: int) -> tuple[PortalClient, Sample, int]:
        client = clients[i % len(clients)]
        return client, samples[i], client.upload(samples[i]).status_code

    with ThreadPoolExecutor(CONCURRENT_UPLOADS) as pool:
        results = list(pool.map(upload, range(CONCURRENT_UPLOADS)))

    assert [status for _, _, status in results] == [302] * CONCURRENT_UPLOADS
    stored = two_app_servers.stored_sha256()
    new = {key.rsplit("/", 1)[1]: digest for key, digest in stored.items() if key not in before}
    # Every acknowledged file in the bucket, with its bytes, and nothing else.
    expected = {client.file_id(sample.name): sample.sha256 for client, sample, _ in results}
    assert new == expected
    assert portal.row_count() == len(stored)
    # nginx spread them over both app servers.
    assert all(
        after > before for after, before in zip(upload_posts(portal), posts_before, strict=True)
    )
    fsck = portal.fsck()
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
