"""WebDAV rows of `make bench` (`python -m bench.run --only dav`, or `python -m bench.dav`).

`python -m bench.dav --only-propfind` runs the PROPFIND rows alone.

Against gunicorn behind nginx with local storage, as `make serve` runs it:

- GET of a 256 MiB file through /dav/ (files.delivery hands nginx an
  X-Accel-Redirect) against nginx sending the same file as a static file;
- PROPFIND Depth: 1 of a folder of 10,000 files, with the properties rclone
  asks for and with allprop;
- a 1 GiB PUT through /dav/ against the browser's 1 GiB upload (multipart),
  wall time and the peak RSS (VmHWM) of the gunicorn worker that took it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.servers import static_nginx
from tests.integration.support import PASSWORD, PortalStack, base_env, manage
from tests.tooling import PortalClient

MIB = 1024 * 1024
GET_SIZE = 256 * MIB
PUT_SIZE = 1024 * MIB
FILES = 10_000
ROUNDS = 3
RCLONE_PROPS = (
    b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns">'
    b"<D:prop><D:getlastmodified/><D:getcontentlength/><D:resourcetype/><oc:checksums/>"
    b"</D:prop></D:propfind>"
)
SEED = """
import uuid
from accounts.models import User
from files.folders import tree
from files.models import UploadedFile
alice = User.objects.get(username="alice")
folder = tree.create_folder(alice, None, "ten-thousand")
UploadedFile.objects.bulk_create(
    [UploadedFile(owner=alice, folder=folder, file=f"u/{alice.pk}/{uuid.uuid4()}",
                  name=f"file {i:05}.txt", size=10, content_type="text/plain",
                  sha256="0" * 64, sha1="1" * 40) for i in range(%d)],
    batch_size=1000,
)
"""


def write_file(path: Path, size: int) -> None:
    block = bytes(range(256)) * (MIB // 256)
    with path.open("wb") as out:
        for _ in range(size // MIB):
            out.write(block)


def curl(*args: str) -> str:
    done = subprocess.run(
        ["curl", "-sS", "--fail", *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def seconds(*args: str) -> float:
    return float(curl("-o", "/dev/null", "-w", "%{time_total}", *args))


def worker_peaks(portal: PortalStack) -> dict[int, int]:
    """{pid: VmHWM in bytes} of every gunicorn worker (the master's children)."""
    peaks = {}
    for pid in portal.stack.worker_pids():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks[pid] = int(line.split()[1]) * 1024
    return peaks


def workers_cpu(portal: PortalStack) -> float:
    """CPU seconds (user + system) the gunicorn workers have used so far."""
    ticks = 0
    for pid in portal.stack.worker_pids():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


def timed(portal: PortalStack, *args: str) -> tuple[float, float]:
    """Median wall seconds of ROUNDS requests, and the workers' CPU seconds per request."""
    before = workers_cpu(portal)
    walls = [seconds(*args) for _ in range(ROUNDS)]
    return statistics.median(walls), (workers_cpu(portal) - before) / ROUNDS


def run(tmp: Path, *, only_propfind: bool = False) -> list[str]:
    tmp.mkdir(parents=True, exist_ok=True)
    root = tmp / "stack"
    env = base_env(root, PORTAL_STATIC_ROOT=str(tmp / "static"))
    # The login page links the manifest's hashed static names.
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    portal = PortalStack("nginx", root, env, 2 * 1024 * MIB, root / "media")
    portal.start()
    rows = ["WebDAV (gunicorn behind nginx, local storage)"]
    try:
        token = manage(
            portal.manage_env, "portal_token", "create", "alice", "--name", "bench"
        ).splitlines()[-1]
        auth = ("-u", f"alice:{token}")
        if not only_propfind:
            rows += transfers(tmp, portal, auth)
        manage(portal.manage_env, "shell", "-c", SEED % FILES)
        folder = f"{portal.url}/dav/ten-thousand/"
        propfind = ("-X", "PROPFIND", "-H", "Depth: 1", *auth)
        seconds(*propfind, folder)  # warm: the first request imports wsgidav
        named, named_cpu = timed(portal, *propfind, "--data-binary", RCLONE_PROPS, folder)
        allprop, allprop_cpu = timed(portal, *propfind, folder)
    finally:
        portal.stack.stop()
    rows.append(
        f"  PROPFIND Depth 1, {FILES:,} files: {named * 1000:.0f} ms wall, "
        f"{named_cpu * 1000:.0f} ms worker CPU (rclone's properties); "
        f"{allprop * 1000:.0f} ms wall, {allprop_cpu * 1000:.0f} ms worker CPU (allprop)"
    )
    return rows


def transfers(tmp: Path, portal: PortalStack, auth: tuple[str, ...]) -> list[str]:
    """The GET row (vs nginx static) and the PUT row (vs the browser's upload, worker RSS)."""
    baseline = worker_peaks(portal)
    big = tmp / "get.bin"
    write_file(big, GET_SIZE)
    curl(*auth, "-T", str(big), f"{portal.url}/dav/get.bin")
    [stored] = [p for p in portal.media_files() if p.stat().st_size == GET_SIZE]
    reference = static_nginx(tmp / "static-nginx", stored.parent)
    reference.start()
    try:
        static_url = f"{reference.url}/static-ref/{stored.name}"
        static = statistics.median(seconds(static_url) for _ in range(ROUNDS))
    finally:
        reference.stop()
    dav = statistics.median(seconds(*auth, f"{portal.url}/dav/get.bin") for _ in range(ROUNDS))
    big.unlink()

    huge = tmp / "put.bin"
    write_file(huge, PUT_SIZE)
    before = worker_peaks(portal)
    put = seconds(*auth, "-T", str(huge), f"{portal.url}/dav/put.bin")
    after = worker_peaks(portal)
    peak = max(after.values())
    started = time.perf_counter()
    uploaded = PortalClient(portal.url).login("alice", PASSWORD).upload(huge)
    browser = time.perf_counter() - started
    uploaded.raise_for_status()
    huge.unlink()
    return [
        f"  GET 256 MiB through /dav/: {GET_SIZE / dav / MIB:.0f} MiB/s; "
        f"nginx static {GET_SIZE / static / MIB:.0f} MiB/s ({static / dav:.2f}x)",
        f"  PUT 1 GiB: {put:.1f} s (browser upload {browser:.1f} s); worker peak RSS "
        f"{peak / MIB:.0f} MiB (before it {max(before.values()) / MIB:.0f} MiB, "
        f"at start {max(baseline.values()) / MIB:.0f} MiB)",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only-propfind", action="store_true", help="the PROPFIND rows alone (about a minute)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="portal-bench-dav-") as tmp:
        print("\n".join(run(Path(tmp), only_propfind=args.only_propfind)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
