"""WebDAV through nginx with real clients: litmus's five suites, and rclone.

The stack has two app servers behind nginx's round robin, so a lock taken
through one must hold on the other: litmus's locks suite proves the shared
lock storage (the database here; Redis in the second litmus run).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from deploy.seaweedfs import SeaweedFS
from deploy.stack import Server
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
        portal.manage_env,
        "portal_token",
        "create",
        username,
        "--name",
        f"dav {secrets.token_hex(4)}",
        *options,
    )
    return printed.splitlines()[-1].strip()


@pytest.fixture(scope="module", params=["database", "redis", "apache"])
def dav_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, static_root: Path
) -> Iterator[PortalStack]:
    """APP_SERVERS=2 behind nginx, as `APP_SERVERS=2 make serve` runs it; or Apache.

    Locks in the database, or in Redis with REDIS_URL.
    """
    server: Server = "apache" if request.param == "apache" else "nginx"
    require(server)
    root = tmp_path_factory.mktemp(f"dav-{request.param}")
    extra = {"REDIS_URL": REDIS_URL} if request.param == "redis" else {}
    env = base_env(root, PORTAL_STATIC_ROOT=str(static_root), **extra)
    # Several app servers are a profile of nginx's (deploy/stack.py); Apache gets one.
    app_servers = 1 if server == "apache" else 2
    portal = PortalStack(server, root, env, DEFAULT_LIMIT, root / "media", app_servers=app_servers)
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


# rclone: an awkward tree up and back down, with the nextcloud vendor (X-OC-Mtime, SHA-1).
OLD_MTIME = 1_000_000_000  # 2001-09-09: clearly not the upload time
QUOTA = 200 * 1024 * 1024
TREE = {
    "rapport d’été 2026.txt": b"accents\n",
    "日本語/ファイル.txt": b"kanji\n",
    "odd #?%&\"' name.txt": b"odd\n",
    "x" * 196 + ".txt": b"two hundred characters\n",
    "a/b/c/d/e/f/six levels.txt": b"deep\n",
    "with space/sub dir/a b.txt": b"spaces\n",
    "empty.bin": b"",
}
BIG = "thirty-mib.bin"


def write_tree(root: Path) -> None:
    for name, content in TREE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    with (root / BIG).open("wb") as big:
        for index in range(30):
            big.write(bytes([index]) * (1024 * 1024))
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (OLD_MTIME, OLD_MTIME))


def rclone(portal: PortalStack, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    obscured = subprocess.run(
        [need("rclone"), "obscure", token], capture_output=True, text=True, check=True
    ).stdout.strip()
    env = {
        **os.environ,
        "RCLONE_CONFIG": "/dev/null",
        "RCLONE_CONFIG_PORTAL_TYPE": "webdav",
        "RCLONE_CONFIG_PORTAL_URL": f"{portal.url}/dav/",
        "RCLONE_CONFIG_PORTAL_VENDOR": "nextcloud",
        "RCLONE_CONFIG_PORTAL_USER": "bob",
        "RCLONE_CONFIG_PORTAL_PASS": obscured,
    }
    return subprocess.run(
        [need("rclone"), *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_rclone_copies_an_awkward_tree_up_and_down_with_mtimes_and_sha1(
    dav_stack: PortalStack, tmp_path: Path
) -> None:
    manage(
        dav_stack.manage_env,
        "shell",
        "-c",
        "from accounts.models import User; "
        f"User.objects.filter(username='bob').update(quota={QUOTA})",
    )
    token = new_token(dav_stack, "bob")
    up, down = tmp_path / "up", tmp_path / "down"
    write_tree(up)

    copied = rclone(dav_stack, token, "copy", str(up), "portal:tree")
    assert copied.returncode == 0, copied.stderr[-3000:]
    checked = rclone(dav_stack, token, "check", "--download", str(up), "portal:tree")
    assert checked.returncode == 0, checked.stderr[-3000:]
    assert "0 differences found" in checked.stderr

    # The nextcloud vendor compares SHA-1 (oc:checksums), not only sizes.
    hashed = rclone(dav_stack, token, "check", "-vv", str(up), "portal:tree")
    assert hashed.returncode == 0, hashed.stderr[-3000:]
    assert "sha1" in hashed.stderr.lower()
    remote = rclone(dav_stack, token, "hashsum", "sha1", "portal:tree")
    big_sha1 = hashlib.sha1((up / BIG).read_bytes(), usedforsecurity=False).hexdigest()
    assert f"{big_sha1}  {BIG}" in remote.stdout

    # Modification times survived (X-OC-Mtime), to the second.
    listed = json.loads(rclone(dav_stack, token, "lsjson", "-R", "portal:tree").stdout)
    times = {item["Path"]: item["ModTime"] for item in listed if not item["IsDir"]}
    assert len(times) == len(TREE) + 1
    assert all(value.startswith("2001-09-09T01:46:40") for value in times.values()), times

    fetched = rclone(dav_stack, token, "copy", "portal:tree", str(down))
    assert fetched.returncode == 0, fetched.stderr[-3000:]
    for name, content in TREE.items():
        assert (down / name).read_bytes() == content
    assert (down / BIG).read_bytes() == (up / BIG).read_bytes()

    about = json.loads(rclone(dav_stack, token, "about", "--json", "portal:").stdout)
    assert about["used"] == sum(map(len, TREE.values())) + 30 * 1024 * 1024
    assert about["used"] + about["free"] == QUOTA


def kib(pid: int, field: str) -> int:
    found = re.search(rf"{field}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    assert found is not None
    return int(found.group(1))


def test_a_big_put_streams_without_growing_the_worker(
    dav_stack: PortalStack, tmp_path: Path
) -> None:
    """256 MiB through /dav/: the bytes go to a temporary file, never into the worker's memory.

    The 1 GiB row of `make bench` (bench/dav.py) measures the same with four times the size.
    """
    token = new_token(dav_stack, "alice")
    big = tmp_path / "big.bin"
    with big.open("wb") as out:
        for index in range(256):
            out.write(bytes([index]) * (1024 * 1024))
    # The stack is shared with litmus and rclone, which ran first and left a worker at up to
    # ~96 MiB: what is measured is the PUT's own growth. "5" resets VmHWM to the current
    # RSS (proc(5), clear_refs). bench/dav.py measures the absolute peak on a fresh stack.
    before = {}
    for pid in dav_stack.stack.worker_pids():
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        before[pid] = kib(pid, "VmRSS")
    done = subprocess.run(
        [
            "curl",
            "-sS",
            "-u",
            f"alice:{token}",
            "-T",
            str(big),
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            f"{dav_stack.url}/dav/big.bin",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.stdout == "201", done.stderr
    growth = {pid: kib(pid, "VmHWM") - rss for pid, rss in before.items()}
    # Holding the file would be 256 MiB; streaming it is a few buffers.
    assert max(growth.values()) < 32 * 1024, growth
    stored = [p for p in dav_stack.media_files() if p.stat().st_size == big.stat().st_size]
    assert len(stored) == 1
    assert (
        hashlib.sha256(stored[0].read_bytes()).hexdigest()
        == hashlib.sha256(big.read_bytes()).hexdigest()
    )
    assert not dav_stack.temp_files()


@pytest.fixture(scope="module")
def dav_s3_stack(
    tmp_path_factory: pytest.TempPathFactory, static_root: Path, seaweedfs: SeaweedFS
) -> Iterator[PortalStack]:
    """nginx in front, the bytes in a bucket of the session's SeaweedFS."""
    require("nginx")
    bucket = "portal-dav"
    seaweedfs.create_bucket(bucket)
    root = tmp_path_factory.mktemp("dav-s3")
    env = base_env(root, PORTAL_STATIC_ROOT=str(static_root), **seaweedfs.django_env(bucket))
    portal = PortalStack("nginx", root, env, DEFAULT_LIMIT, root / "media")
    portal.start()
    try:
        yield portal
    finally:
        portal.stack.stop()


def test_put_replace_and_ranged_get_on_s3(dav_s3_stack: PortalStack, tmp_path: Path) -> None:
    """A PUT lands in the bucket through the intake; a GET is nginx's /_s3/ proxy, Range too."""
    token = new_token(dav_s3_stack, "alice")
    session = requests.Session()
    session.auth = ("alice", token)
    url = f"{dav_s3_stack.url}/dav/on s3.bin"
    first, second = b"a" * (3 * 1024 * 1024), b"b" * (2 * 1024 * 1024)
    assert session.put(url, data=first, timeout=60).status_code == 201
    assert session.put(url, data=second, timeout=60).status_code == 204
    whole = session.get(url, timeout=60)
    assert whole.status_code == 200
    assert whole.content == second
    ranged = session.get(url, headers={"Range": "bytes=10-19"}, timeout=60)
    assert ranged.status_code == 206
    assert ranged.content == b"b" * 10
    assert dav_s3_stack.media_files() == set()
    assert not dav_s3_stack.temp_files()
