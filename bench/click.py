"""The click: a permission-checked 4 KiB download as a browser makes it, against the seed.

`python -m bench.run --only click` (also part of a whole `make bench`). One
run, side by side, every row on the same server CPU with wrk on the other:

- the seed: Flask `send_from_directory`, no check, `gunicorn -w 2` sync
  workers, reached directly (the issue's 1.00);
- Portal through nginx with signed URLs on (`make serve`), the click counted
  with every hop (bench/click.lua follows the 302 to the signed URL when
  there is one): a browser's click (Sec-Fetch-Mode: navigate, answered in one
  hop) and a client that sends no Sec-Fetch headers (302 + the signed fetch);
  through Django (PORTAL_FAST_PATH=0) and portal/fastpath.py, on gunicorn
  (before issue 19) and on granian (deploy/stack.py, now);
- the floor: the same nginx and granian answering the click with a constant
  (bench/floorapp.py, no check), i.e. what the servers cost without the
  fast path's Python;
- the signed URL alone (a repeat) and nginx static, for the repeat ratio.

Beside clicks per second, each row has the server's CPU time per click
(nginx and the app server, or the seed's gunicorn): on a machine shared with
other work the rate also says how much CPU each stack won from the scheduler
(docs/performance.md: 1.8-3x the seed by rate on a busy machine, 0.54x on a
quieter one, where rate and CPU agree).
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
from bench.servers import cpu_affinity, cpu_seconds, static_nginx
from deploy.stack import REPO_DIR, free_port

if TYPE_CHECKING:
    from bench.run import Bench

CLICK_SCRIPT = Path(__file__).resolve().parent / "click.lua"
CONNECTIONS = 32  # the issue's -c32
SEED_WORKERS = 2


@dataclass
class ClickResults:
    rows: dict[str, WrkResult] = field(default_factory=dict)
    # label -> the servers' CPU microseconds per click.
    cpu_us: dict[str, float] = field(default_factory=dict)
    # (label, clicks or requests per second) in the order measured.
    order: list[str] = field(default_factory=list)


SEED = "seed: Flask, no check, gunicorn -w 2 sync, direct"
STATIC = "nginx static, no check"
REPEAT = "Portal signed URL alone (a repeat)"
BEFORE_DJANGO = "Portal via Django, gunicorn, 302 + fetch"
BEFORE = "Portal fast path, gunicorn, 302 + fetch"
# make serve now: granian answers the click, in one hop.
NOW = "Portal fast path, granian, browser click"
# granian + nginx answering the click with a constant (bench/floorapp.py): the servers' share.
FLOOR = "floor: granian, constant answer, no check"


@contextmanager
def seed_server(bench: Bench) -> Iterator[tuple[str, int]]:
    """The naive seed as the issue ran it: its own gunicorn, sync workers, no nginx.

    Yields its URL and its gunicorn master's pid.
    """
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
        yield f"http://127.0.0.1:{port}", proc.pid
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

    def measure(
        self,
        label: str,
        url: str,
        servers: list[int],
        cookie: str = "",
        *,
        expect_302: bool = False,
        navigate: bool = False,
    ) -> None:
        """wrk on `url`; `servers`: the pids whose process trees do the serving."""
        env = {"BENCH_NAVIGATE": "1"} if navigate else {}
        wrk = Wrk(self.bench.client_cpus, cookie, self.bench.wrk.load, CLICK_SCRIPT, env)
        wrk.run(url, connections=CONNECTIONS, seconds=2)  # warm-up
        used = cpu_seconds(servers)
        result = wrk.run(url, connections=CONNECTIONS, seconds=self.bench.seconds)
        used = cpu_seconds(servers) - used
        if result.errors:
            raise RuntimeError(f"{label}: wrk saw errors: {result}")
        if expect_302 != (result.followed > 0):
            raise RuntimeError(f"{label}: {result.followed} redirects followed")
        self.results.rows[label] = result
        self.results.cpu_us[label] = used / max(result.requests - result.followed, 1) * 1e6
        self.results.order.append(label)
        print(f"  {label}: {result.clicks_per_s:,.0f}/s", flush=True)

    def portal(
        self,
        label: str,
        *,
        fast: bool,
        granian: bool,
        navigate: bool,
        repeat: bool = False,
        app: str = "portal.wsgi:application",
    ) -> None:
        """One row: `make serve`'s stack (signed URLs on); `repeat`: then the signed URL alone."""
        from bench.run import check_download, signed_url, uploaded  # run.py imports this module

        env = {
            "PORTAL_FAST_PATH": "1" if fast else "0",
            "PORTAL_SIGNED_URL_SECRET": secrets.token_urlsafe(32),
        }
        name = "click-" + re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        with self.bench.stack(name, "nginx", env=env, granian=granian, app=app) as stack:
            client = self.bench.login(stack)
            if not self.path:
                uploaded(client, self.file)
                self.path = f"/files/{client.file_id(self.file.name)}/download/"
                uuid = self.path.split("/")[2]
                [stored] = self.bench.media_root.glob(f"u/*/{uuid}")
                self.key = str(stored.relative_to(self.bench.media_root))
            url = stack.url + self.path
            # A browser's click gets the bytes in one hop (nginx follows X-Accel-Redirect).
            navigation = {"Sec-Fetch-Mode": "navigate"}
            check_download(url, self.file.read_bytes(), self.bench.wrk.cookie, headers=navigation)
            servers = [stack.pid(name) for name in stack.processes]
            cookie = self.bench.wrk.cookie
            self.measure(label, url, servers, cookie, expect_302=not navigate, navigate=navigate)
            if repeat:
                self.measure(REPEAT, signed_url(client, url), servers)

    def run(self) -> ClickResults:
        from bench.run import SMALL_SIZE, write_random

        self.bench.prepare_database()
        write_random(self.file, SMALL_SIZE, 3)
        print("(click) a checked 4 KiB download, every hop counted", flush=True)
        self.portal(BEFORE_DJANGO, fast=False, granian=False, navigate=False)
        self.portal(BEFORE, fast=True, granian=False, navigate=False)
        self.portal("Portal fast path, gunicorn, browser click", fast=True, granian=False,
                    navigate=True)  # fmt: skip
        self.portal("Portal fast path, granian, 302 + fetch", fast=True, granian=True,
                    navigate=False, repeat=True)  # fmt: skip
        self.portal(NOW, fast=True, granian=True, navigate=True)
        self.portal(FLOOR, fast=True, granian=True, navigate=True, app="bench.floorapp:application")
        with seed_server(self.bench) as (url, pid):
            self.measure(SEED, f"{url}/raw/{self.key}", [pid])
        static = static_nginx(self.bench.root / "click-static", self.bench.media_root)
        with cpu_affinity(self.bench.server_cpus):
            static.start()
        try:
            self.measure(STATIC, f"{static.url}/static-ref/{self.key}", [static.pid(static.server)])
        finally:
            static.stop()
        return self.results


def render(results: ClickResults) -> list[str]:
    seed = results.rows[SEED].clicks_per_s
    static = results.rows[STATIC].clicks_per_s
    lines = [
        f"Click: a checked 4 KiB download over {CONNECTIONS} connections, every hop counted "
        "(bench/click.lua follows each 302)",
        f"{'':44}{'clicks/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'vs seed':>9}"
        f"{'CPU us/click':>14}{'vs seed':>9}",
    ]
    seed_cpu = results.cpu_us[SEED]
    for label in results.order:
        row, cpu = results.rows[label], results.cpu_us[label]
        lines.append(
            f"{label:44}{row.clicks_per_s:>9,.0f}{row.p50_us / 1000:>8.1f}"
            f"{row.p99_us / 1000:>8.1f}{row.clicks_per_s / seed:>8.2f}x"
            f"{cpu:>14,.0f}{seed_cpu / cpu:>8.2f}x"
        )
    click = results.rows[NOW].clicks_per_s / seed
    by_cpu = seed_cpu / results.cpu_us[NOW]
    repeat = results.rows[REPEAT].clicks_per_s / static
    lines += [
        "",
        "  (CPU: the servers' CPU time per click; its 'vs seed' is the seed's over the row's)",
        f"  [{'met' if click >= 1.0 else 'MISSED'}] click >= 1.0x the seed: {click:.2f}x "
        f"by rate, {by_cpu:.2f}x by CPU per click ({NOW})",
        f"  [{'met' if repeat >= 0.9 else 'MISSED'}] signed repeat >= 0.9x nginx static: "
        f"{repeat:.2f}x",
    ]
    return lines
