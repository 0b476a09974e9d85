"""`make run` (deploy/run.py): runserver and the task worker start and stop together."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from deploy.stack import REPO_DIR, free_port
from tests.integration.support import base_env, manage

pytestmark = pytest.mark.integration


def children(pid: int) -> dict[int, str]:
    """pid -> command line of every process whose parent is `pid`."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if parent == pid:
            found[int(entry.name)] = command
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_make_run_starts_the_worker_and_stops_both(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    Path(env["PORTAL_UPLOAD_TEMP_DIR"]).mkdir()
    # As `make run` does before deploy.run: pages link the manifest's hashed names.
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    port = free_port()
    run = subprocess.Popen(
        [sys.executable, "-m", "deploy.run"],
        cwd=REPO_DIR,
        env={**env, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "runserver did not answer"
                time.sleep(0.2)
        started = children(run.pid)
        assert sorted(
            "db_worker" if "db_worker" in command else "runserver" for command in started.values()
        ) == ["db_worker", "runserver"]
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=15) == 0
        assert not any(alive(pid) for pid in started)
    finally:
        if run.poll() is None:
            run.kill()
