"""The quarantine through the `make serve` stack (gunicorn, nginx, the db_worker) with a real clamd.

alice uploads through nginx; the task worker streams each file to clamd
(tests/clamav.py: an offline EICAR signature). EICAR is quarantined, a clean
file reaches bob; with clamd stopped a new file stays pending (bob gets the
"being checked" page), and once clamd is back the worker's retry scans it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.availability import skip_or_fail
from tests.clamav import EICAR, Clamd, clamd_unavailable
from tests.integration.conftest import DEFAULT_LIMIT
from tests.integration.support import PortalStack, base_env, manage, require
from tests.tooling import PortalClient

pytestmark = pytest.mark.integration

SHARE = """
from accounts.models import User
from files.models import UploadedFile
from files.sharing import grants
for stored in UploadedFile.objects.all():
    grants.share(stored, User.objects.get(username="bob"))
"""


@pytest.fixture(scope="module")
def clamd_for_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    reason = clamd_unavailable()
    if reason:
        skip_or_fail(reason)
    server = Clamd(tmp_path_factory.mktemp("clamd-stack"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def scanning_stack(
    tmp_path_factory: pytest.TempPathFactory, static_root: Path, clamd_for_stack: Clamd
) -> Iterator[PortalStack]:
    require("nginx")
    root = tmp_path_factory.mktemp("quarantine")
    env = base_env(
        root,
        PORTAL_STATIC_ROOT=str(static_root),
        PORTAL_SCAN="clamd",
        PORTAL_CLAMD_ADDRESS=clamd_for_stack.address,
        PORTAL_SCAN_RETRY_SECONDS="2",
    )
    portal = PortalStack("nginx", root, env, DEFAULT_LIMIT, root / "media", worker=True)
    portal.start()
    try:
        yield portal
    finally:
        portal.stack.stop()


def status(portal: PortalStack, name: str) -> str:
    with sqlite3.connect(f"file:{portal.db_path}?mode=ro", uri=True) as db:
        row = db.execute("SELECT scan_status FROM files_uploadedfile WHERE name = ?", [name])
        return row.fetchone()[0]


def wait_for(portal: PortalStack, name: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while (now := status(portal, name)) == "pending" and time.monotonic() < deadline:
        time.sleep(0.5)
    return now


def upload(client: PortalClient, tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    assert client.upload(path).status_code == 302
    return client.file_id(name)


def test_eicar_is_quarantined_a_clean_file_released_and_a_stopped_clamd_waited_for(
    scanning_stack: PortalStack, clamd_for_stack: Clamd, tmp_path: Path
) -> None:
    alice, bob = scanning_stack.login("alice"), scanning_stack.login("bob")
    infected = upload(alice, tmp_path, "eicar.com", EICAR)
    clean = upload(alice, tmp_path, "report.txt", b"quarterly numbers\n" * 100)
    assert wait_for(scanning_stack, "eicar.com") == "infected"
    assert wait_for(scanning_stack, "report.txt") == "clean"
    manage(scanning_stack.manage_env, "shell", "-c", SHARE)
    assert alice.download(infected).status == 403
    assert bob.download(infected).status == 403
    assert bob.download(clean).status == 200

    clamd_for_stack.stop()
    try:
        waiting = upload(alice, tmp_path, "later.txt", b"checked when clamd is back")
        time.sleep(3)  # a retry or two of the worker's, with nobody answering
        assert status(scanning_stack, "later.txt") == "pending"
        manage(scanning_stack.manage_env, "shell", "-c", SHARE)
        assert alice.download(waiting).status == 200
        assert bob.download(waiting).status == 409
    finally:
        clamd_for_stack.start()
    assert wait_for(scanning_stack, "later.txt") == "clean"
    assert bob.download(waiting).status == 200
