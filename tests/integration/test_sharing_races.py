"""Races over real HTTP: the quota and a link's download limit, on SQLite and PostgreSQL.

A real stack (gunicorn with 2 workers x 4 threads behind nginx, signed URLs
on) gets simultaneous requests from threads. Each database gets its own
stack: SQLite in a file, PostgreSQL in a database made for this module and
dropped after it.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest
import requests

from tests.availability import skip_or_fail
from tests.integration.support import PortalStack, base_env, manage, require
from tests.tooling import MultipartBody, Sample

QUOTA = 1000
UPLOAD_SIZE = 200  # five fit, fifteen do not
UPLOADS = 20
LIMIT = 3
DOWNLOADERS = 10
PG_SERVER = "postgres://postgres@127.0.0.1:5432"

T = TypeVar("T")


def at_once(count: int, work: Callable[[int], T]) -> list[T]:
    """Run work(0..count-1) in threads that start together; their results in order."""
    start = threading.Barrier(count)
    results: list[T | None] = [None] * count
    failures: list[BaseException] = []

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = work(index)
        except BaseException as error:  # noqa: BLE001 - re-raised below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if failures:
        raise failures[0]
    return [result for result in results if result is not None]


def server_url() -> str:
    """The PostgreSQL server CI's second pass names in DATABASE_URL, else the local default."""
    url = os.environ.get("DATABASE_URL", "")
    return url.rsplit("/", 1)[0] if url.startswith("postgres") else PG_SERVER


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str]:
    name = f"portal_races_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(f"{server_url()}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        skip_or_fail(f"no PostgreSQL at {server_url()}: {error}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{server_url()}/{name}"
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def race_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, static_root: Path
) -> Iterator[PortalStack]:
    require("nginx")
    root = tmp_path_factory.mktemp(f"races-{request.param}")
    overrides = {
        "PORTAL_SIGNED_URL_SECRET": secrets.token_urlsafe(32),
        "PORTAL_STATIC_ROOT": str(static_root),
    }
    if request.param == "postgresql":
        overrides["DATABASE_URL"] = request.getfixturevalue("postgres_database")
    env = base_env(root, **overrides)
    portal = PortalStack("nginx", root, env, 10 * 1024 * 1024, root / "media")
    portal.start()
    yield portal
    portal.stack.stop()


def stack_env(stack: PortalStack) -> dict[str, str]:
    return {**stack.env, "PORTAL_MEDIA_ROOT": str(stack.media_root)}


def test_twenty_uploads_over_quota_keep_it_and_never_500(
    race_stack: PortalStack, tmp_path: Path
) -> None:
    env = stack_env(race_stack)
    manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from accounts.models import User\n"
        f"User.objects.filter(username='alice').update(quota={QUOTA})",
    )
    alice = race_stack.login("alice")
    samples = [Sample.write(tmp_path, f"race-{n}.bin", UPLOAD_SIZE) for n in range(UPLOADS)]

    def upload(index: int) -> tuple[int, str, str]:
        session = requests.Session()
        session.cookies.update(alice.session.cookies)
        sample = samples[index]
        body = MultipartBody(
            {"csrfmiddlewaretoken": alice.csrf_token}, [(sample.name, sample.path)]
        )
        # Half as the browser form posts, half as the uploader script does.
        script = index % 2 == 1
        headers = {"Content-Type": body.content_type, "Referer": f"{alice.url}/files/upload/"}
        if script:
            headers["Accept"] = "application/json"
        response = session.post(
            f"{alice.url}/files/upload/",
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=120,
        )
        return response.status_code, "script" if script else "form", response.text

    outcomes = at_once(UPLOADS, upload)
    statuses = sorted((status, how) for status, how, _ in outcomes)
    assert all(status < 500 for status, _ in statuses), statuses
    stored = [o for o in outcomes if o[0] in (201, 302)]
    refused = [o for o in outcomes if o[0] not in (201, 302)]
    # A refusal is the form again with its error, or the script's 400 with a message.
    for status, how, text in refused:
        if how == "form":
            assert status == 200
            assert "Not enough space" in text
        else:
            assert status == 400
            assert json.loads(text)["errors"][0]["code"] == "over_quota"
    assert len(stored) == QUOTA // UPLOAD_SIZE
    counted = manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from accounts.models import User\n"
        "alice = User.objects.get(username='alice')\n"
        "print(alice.files.count(), alice.storage_used())",
    )
    assert counted == f"{len(stored)} {len(stored) * UPLOAD_SIZE}"
    # Every refused upload left nothing behind; every accepted one is whole.
    stored_files = race_stack.media_files()
    assert len(stored_files) == len(stored)
    digests = {s.sha256 for s in samples}
    assert all(hashlib.sha256(p.read_bytes()).hexdigest() in digests for p in stored_files)


def test_ten_downloads_of_a_link_limited_to_three_send_three(
    race_stack: PortalStack, tmp_path: Path
) -> None:
    env = stack_env(race_stack)
    manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from accounts.models import User\nUser.objects.update(quota=None)",
    )
    alice = race_stack.login("alice")
    sample = Sample.write(tmp_path, "limited.bin", 5000)
    assert alice.upload(sample).status_code == 302
    file_id = alice.file_id("limited.bin")
    token = manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from files.sharing import grants\n"
        "from files.models import UploadedFile\n"
        f"upload = UploadedFile.objects.get(pk='{file_id}')\n"
        f"print(grants.create_link(upload, download_limit={LIMIT})[1])",
    )
    url = f"{race_stack.url}/s/{token}/download/{file_id}/"

    def download(index: int) -> tuple[int, bytes, str]:
        response = requests.get(url, allow_redirects=False, timeout=60)
        return response.status_code, response.content, response.headers.get("Location", "")

    outcomes = at_once(DOWNLOADERS, download)
    statuses = sorted(status for status, _, _ in outcomes)
    assert statuses == [200] * LIMIT + [410] * (DOWNLOADERS - LIMIT)
    # Sent by nginx from X-Accel-Redirect, never as a reusable signed URL.
    expected = sample.path.read_bytes()
    assert all(body == expected for status, body, _ in outcomes if status == 200)
    assert all(expected[:100] not in body for status, body, _ in outcomes if status == 410)
    recorded = manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from files.models import DownloadEvent, Link\n"
        f"link = Link.objects.get(file_id='{file_id}')\n"
        "print(link.downloads, DownloadEvent.objects.filter(link=link).count())",
    )
    assert recorded == f"{LIMIT} {LIMIT}"
