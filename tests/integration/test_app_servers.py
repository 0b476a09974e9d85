"""Several app servers: two gunicorn masters behind one nginx, sharing PostgreSQL and Redis.

Nothing one app server needs may live only in another's memory or disk: the
session (Redis, cached_db), the signing secret (the environment), the upload
(stored before the answer). Sign in through one, upload through the other,
download through the first; then 20 concurrent uploads through nginx.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests

from tests.availability import skip_or_fail
from tests.integration.conftest import DEFAULT_LIMIT
from tests.integration.support import PASSWORD, PortalStack, base_env, require
from tests.tooling import PortalClient, Sample, postgres_unavailable, scratch_database

pytestmark = pytest.mark.integration

REDIS_URL = "redis://127.0.0.1:6379/0"
CONCURRENT_UPLOADS = 20


def redis_unavailable() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        return f"Redis at {REDIS_URL} does not answer: {error}"
    return None


@pytest.fixture(scope="module")
def two_app_servers(
    tmp_path_factory: pytest.TempPathFactory, static_root: Path
) -> Iterator[PortalStack]:
    require("nginx")
    for reason in (postgres_unavailable(), redis_unavailable()):
        if reason:
            skip_or_fail(reason)
    root = tmp_path_factory.mktemp("two-app-servers")
    with scratch_database() as database_url:
        env = base_env(
            root,
            DATABASE_URL=database_url,
            REDIS_URL=REDIS_URL,
            PORTAL_STATIC_ROOT=str(static_root),
            PORTAL_SIGNED_URL_SECRET="shared-by-every-app-server-" + "x" * 16,
        )
        portal = PortalStack("nginx", root, env, DEFAULT_LIMIT, root / "media", app_servers=2)
        portal.start()
        try:
            yield portal
        finally:
            portal.stack.stop()


def stored_sha256(portal: PortalStack) -> dict[str, str]:
    """{uuid: sha256} of every stored object."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in portal.media_files()
    }


def test_a_session_from_one_app_server_works_on_the_other(
    two_app_servers: PortalStack, tmp_path: Path
) -> None:
    first, second = two_app_servers.stack.gunicorn_urls
    sample = Sample.write(tmp_path, "across app servers.bin", 256 * 1024)

    signed_in = PortalClient(first).login("alice", PASSWORD)
    # The same cookies, sent straight to the other gunicorn.
    other = PortalClient(second)
    other.session = signed_in.session
    uploaded = other.upload(sample)
    assert uploaded.status_code == 302, uploaded.text[:2000]
    file_id = signed_in.file_id(sample.name)

    # The first app server signs a link that nginx verifies with the shared secret.
    redirect = signed_in.session.get(
        f"{first}/files/{file_id}/download/", allow_redirects=False, timeout=30
    )
    assert redirect.status_code == 302
    assert redirect.headers["Location"].startswith("/_signed/")
    body = requests.get(two_app_servers.url + redirect.headers["Location"], timeout=60)
    assert body.status_code == 200
    assert hashlib.sha256(body.content).hexdigest() == sample.sha256

    assert two_app_servers.gunicorn_log("POST /accounts/login/", app_server="gunicorn")
    assert two_app_servers.gunicorn_log("POST /files/upload/", app_server="gunicorn-2")
    assert not two_app_servers.gunicorn_log("POST /files/upload/", 0, app_server="gunicorn")


def test_concurrent_uploads_through_both_app_servers_are_all_kept(
    two_app_servers: PortalStack, tmp_path: Path
) -> None:
    url = two_app_servers.url
    # Several clients, as several people: two sessions each for alice and bob.
    clients = [PortalClient(url).login(name, PASSWORD) for name in ("alice", "bob") * 2]
    samples = [
        Sample.write(tmp_path, f"concurrent-{i:02}.bin", 64 * 1024 * (i + 1))
        for i in range(CONCURRENT_UPLOADS)
    ]
    before = stored_sha256(two_app_servers)
    posts_before = [
        len(two_app_servers.gunicorn_log("POST /files/upload/", 0, app_server=name))
        for name in two_app_servers.stack.gunicorn_names
    ]

    def upload(i: int) -> tuple[PortalClient, Sample, int]:
        client = clients[i % len(clients)]
        return client, samples[i], client.upload(samples[i]).status_code

    with ThreadPoolExecutor(CONCURRENT_UPLOADS) as pool:
        results = list(pool.map(upload, range(CONCURRENT_UPLOADS)))

    assert [status for _, _, status in results] == [302] * CONCURRENT_UPLOADS
    stored = stored_sha256(two_app_servers)
    new = {key: digest for key, digest in stored.items() if key not in before}
    # Every acknowledged file, with its bytes, and nothing else.
    expected = {client.file_id(sample.name): sample.sha256 for client, sample, _ in results}
    assert new == expected
    assert two_app_servers.row_count() == len(stored)
    # nginx spread them over both app servers.
    posts_after = [
        len(two_app_servers.gunicorn_log("POST /files/upload/", 0, app_server=name))
        for name in two_app_servers.stack.gunicorn_names
    ]
    assert all(after > before for after, before in zip(posts_after, posts_before, strict=True))
    fsck = two_app_servers.fsck()
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
