"""WebDAV through nginx with real clients: litmus's five suites, and rclone.

The stack has two app servers behind nginx's round robin, so a lock taken
through one must hold on the other: litmus's locks suite proves the shared
lock storage (the database here; Redis in the second litmus run).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.availability import once_per_ci_run, skip_or_fail
from tests.integration.conftest import DEFAULT_LIMIT
from tests.integration.support import PortalStack, base_env, manage, require

pytestmark = [pytest.mark.integration, once_per_ci_run]

SUITES = ("basic", "copymove", "props", "locks", "http")
REDIS_URL = "redis://127.0.0.1:6379/3"


def need(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        skip_or_fail(f"{binary} is not installed (apt-get install {binary})")
    assert path is not None
    return path


def new_token(portal: PortalStack, username: str, *options: str) -> str:
    printed = manage(
        portal.manage_env, "portal_token", "create", username, "--name", "dav", *options
    )
    return printed.splitlines()[-1].strip()


@pytest.fixture(scope="module", params=["database", "redis"])
def dav_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, static_root: Path
) -> Iterator[PortalStack]:
    """APP_SERVERS=2 behind nginx, as `APP_SERVERS=2 make serve` runs it.

    Locks in the database, or in Redis with REDIS_URL.
    """
    require("nginx")
    root = tmp_path_factory.mktemp(f"dav-{request.param}")
    extra = {"REDIS_URL": REDIS_URL} if request.param == "redis" else {}
    env = base_env(root, PORTAL_STATIC_ROOT=str(static_root), **extra)
    portal = PortalStack("nginx", root, env, DEFAULT_LIMIT, root / "media", app_servers=2)
    portal.start()
    try:
        yield portal
    finally:
        portal.stack.stop()


def run_litmus(url: str, username: str, token: str, tmp_path: Path) -> dict[str, tuple[int, int]]:
    """{suite: (passed, run)} from litmus's summary lines."""
    done = subprocess.run(
        [need("litmus"), "-k", url, username, token],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = re.findall(r"<- summary for `(\w+)': of (\d+) tests run: (\d+) passed", done.stdout)
    counts = {suite: (int(passed), int(run)) for suite, run, passed in summary}
    assert set(counts) == set(SUITES), done.stdout[-3000:] + done.stderr[-2000:]
    return counts


def test_litmus_passes_all_five_suites(dav_stack: PortalStack, tmp_path: Path) -> None:
    token = new_token(dav_stack, "alice")
    counts = run_litmus(f"{dav_stack.url}/dav/", "alice", token, tmp_path)
    failed = {suite: c for suite, c in counts.items() if c[0] != c[1]}
    assert not failed, counts
    assert not dav_stack.front_errors()
