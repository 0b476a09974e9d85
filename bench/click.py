"""The click: a permission-checked 4 KiB download as a browser makes it, against the seed.

`python -m bench.run --only click` (also part of a whole `make bench`). One
run, side by side, every row on the same server CPU with wrk on the other:

- the seed: Flask `send_from_directory`, no check, `gunicorn -w 2` sync
  workers, reached directly (the issue's 1.00);
- Portal through nginx, the click counted with every hop (bench/click.lua
  follows the 302 to the signed URL when there is one): through Django
  (PORTAL_FAST_PATH=0) and through portal/fastpath.py, with signed URLs on
  (`make serve`'s default: two hops) and off (X-Accel-Redirect: one hop);
- the fast path under other WSGI servers (gunicorn sync workers, granian);
- the signed URL alone (a repeat) and nginx static, for the repeat ratio.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bench.loadgen import Wrk, WrkResult
from bench.servers import cpu_affinity, static_nginx
from deploy.stack import REPO_DIR, free_port

if TYPE_CHECKING:
    from bench.run import Bench

CLICK_SCRIPT = Path(__file__).resolve().parent / "click.lua"
CONNECTIONS = 32  # the issue's -c32
SEED_WORKERS = 2


@dataclass
class ClickResults:
    rows: dict[str, WrkResult] = field(default_factory=dict)
    # (label, clicks or requests per second) in the order measured.
    order: list[str] = field(default_factory=list)


SEED = "seed: Flask, no check, gunicorn -w 2 sync, direct"
STATIC = "nginx static, no check"
REPEAT = "Portal signed URL alone (a repeat)"


@contextmanager
def seed_server(bench: Bench) -> Iterator[str]:
    """The naive seed as the issue ran it: its own gunicorn, sync workers, no nginx."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        f"--workers={SEED_WORKERS}",
        "--worker-class=sync",
        f"--bind=127.0.0.1:{port}",
        "bench.flaskapp:app",
    ]
    env = {**os.environ, "PORTAL_MEDIA_ROOT": str(bench.media_root)}
    log = (bench.root / "seed.log").open("wb")
    with cpu_affinity(bench.server_cpus):
        proc = subprocess.Popen(command, cwd=REPO_DIR, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


class Click:
    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.results = ClickResults()
        self.file = bench.data_dir / "click-small.bin"
        self.path = ""  # /files/<uuid>/download/
        self.key = ""  # u/<owner>/<uuid>

    def measure(self, label: str, url: str, cookie: str = "", *, expect_302: bool = False) -> None:
        wrk = Wrk(self.bench.client_cpus, cookie, self.bench.wrk.load, script=CLICK_SCRIPT)
        wrk.run(url, connections=CONNECTIONS, seconds=2)  # warm-up
        result = wrk.run(url, connections=CONNECTIONS, seconds=self.bench.seconds)
        if result.errors:
            raise RuntimeError(f"{label}: wrk saw errors: {result}")
        if expect_302 != (result.followed > 0):
            raise RuntimeError(f"{label}: {result.followed} redirects followed")
        self.results.rows[label] = result
        self.results.order.append(label)
        print(f"  {label}: {result.clicks_per_s:,.0f}/s", flush=True)

    def portal(self, label: str, *, fast: bool, signed: bool, args: str = "") -> None:
        from bench.run import check_download, uploaded  # run.py imports this module

        env = {"PORTAL_FAST_PATH": "1" if fast else "0"}
        if signed:
            env |= {"PORTAL_SIGNED_URL_SECRET": secrets.token_urlsafe(32)}
        if args:
            env["GUNICORN_CMD_ARGS"] = args
        name = "click-" + re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        with self.bench.stack(name, "nginx", env=env) as stack:
            client = self.bench.login(stack)
            if not self.path:
                uploaded(client, self.file)
                self.path = f"/files/{client.file_id(self.file.name)}/download/"
                uuid = self.path.split("/")[2]
                [stored] = self.bench.media_root.glob(f"u/*/{uuid}")
                self.key = str(stored.relative_to(self.bench.media_root))
            url = stack.url + self.path
            if not signed:
                check_download(url, self.file.read_bytes(), self.bench.wrk.cookie)
            self.measure(label, url, self.bench.wrk.cookie, expect_302=signed)
            if signed and fast and not args:
                from bench.run import signed_url

                repeat = signed_url(client, url)
                self.measure(REPEAT, repeat)

    def run(self) -> ClickResults:
        from bench.run import SMALL_SIZE, write_random

        self.bench.prepare_database()
        write_random(self.file, SMALL_SIZE, 3)
        print("(click) a checked 4 KiB download, every hop counted", flush=True)
        self.portal("Portal via Django, signed 302 + fetch", fast=False, signed=True)
        self.portal("Portal fast path, signed 302 + fetch", fast=True, signed=True)
        self.portal("Portal via Django, X-Accel (one hop)", fast=False, signed=False)
        self.portal("Portal fast path, X-Accel (one hop)", fast=True, signed=False)
        self.portal(
            "Portal fast path, X-Accel, gunicorn sync -w 3",
            fast=True,
            signed=False,
            args="--worker-class=sync --workers=3",
        )
        with seed_server(self.bench) as url:
            self.measure(SEED, f"{url}/raw/{self.key}")
        static = static_nginx(self.bench.root / "click-static", self.bench.media_root)
        with cpu_affinity(self.bench.server_cpus):
            static.start()
        try:
            self.measure(STATIC, f"{static.url}/static-ref/{self.key}")
        finally:
            static.stop()
        return self.results


def render(results: ClickResults) -> list[str]:
    seed = results.rows[SEED].clicks_per_s
    static = results.rows[STATIC].clicks_per_s
    lines = [
        f"Click: a checked 4 KiB download over {CONNECTIONS} connections, every hop counted "
        "(bench/click.lua follows each 302)",
        f"{'':50}{'clicks/s':>10}{'p50 ms':>8}{'p99 ms':>8}{'vs seed':>9}",
    ]
    for label in results.order:
        row = results.rows[label]
        lines.append(
            f"{label:50}{row.clicks_per_s:>10,.0f}{row.p50_us / 1000:>8.1f}"
            f"{row.p99_us / 1000:>8.1f}{row.clicks_per_s / seed:>8.2f}x"
        )
    best = max(
        (label for label in results.order if label.startswith("Portal fast path")),
        key=lambda label: results.rows[label].clicks_per_s,
    )
    click = results.rows[best].clicks_per_s / seed
    repeat = results.rows[REPEAT].clicks_per_s / static if REPEAT in results.rows else 0.0
    lines += [
        "",
        f"  [{'met' if click >= 1.0 else 'MISSED'}] click >= 1.0x the seed: {click:.2f}x ({best})",
        f"  [{'met' if repeat >= 0.9 else 'MISSED'}] signed repeat >= 0.9x nginx static: "
        f"{repeat:.2f}x",
    ]
    return lines
