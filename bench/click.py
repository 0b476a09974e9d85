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

The two ratios the issue asks for (the browser click against the seed, the
signed repeat against nginx static) are measured in alternating rounds:
those four servers are started once and kept up, and each round runs the
click and the seed, then the repeat and static, one right after the other
(the order flips every round), so that load which comes and goes on a shared
machine lands on both sides of a ratio. The verdicts are the median of the
rounds' ratios; every other row is measured once.

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
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from bench.loadgen import Wrk, WrkResult
from bench.servers import cpu_affinity, cpu_seconds, static_nginx
from deploy.stack import REPO_DIR, free_port

if TYPE_CHECKING:
    from bench.run import Bench
    from tests.tooling import PortalClient

CLICK_SCRIPT = Path(__file__).resolve().parent / "click.lua"
CONNECTIONS = 32  # the issue's -c32
SEED_WORKERS = 2
# The alternating rounds: 3 x 4 runs of 6 s, each after a 1 s warm-up (the
# servers were warmed for 2 s once before the first round).
ROUNDS = 3
ROUND_SECONDS = 6


@dataclass(frozen=True)
class Measured:
    result: WrkResult
    cpu_us: float  # the servers' CPU microseconds per click


@dataclass
class ClickResults:
    # label -> its one run, or its median round (by rate) for the paired rows.
    rows: dict[str, WrkResult] = field(default_factory=dict)
    # label -> the servers' CPU microseconds per click (the paired rows: the rounds' median).
    cpu_us: dict[str, float] = field(default_factory=dict)
    # Labels in the order measured.
    order: list[str] = field(default_factory=list)
    # label -> its run in each round, for the four servers of the two ratios.
    rounds: dict[str, list[Measured]] = field(default_factory=dict)

    def ratios(self, row: str, reference: str) -> tuple[list[float], list[float]]:
        """Each round's (row / reference by rate, reference / row by CPU per click)."""
        pairs = list(zip(self.rounds[row], self.rounds[reference], strict=True))
        return (
            [ours.result.clicks_per_s / theirs.result.clicks_per_s for ours, theirs in pairs],
            [theirs.cpu_us / ours.cpu_us for ours, theirs in pairs],
        )


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

    def wrk(
        self,
        label: str,
        url: str,
        servers: list[int],
        cookie: str = "",
        *,
        expect_302: bool = False,
        navigate: bool = False,
        seconds: float,
        warm_up: float = 2,
    ) -> Measured:
        """wrk on `url` after a warm-up; `servers`: the pids whose process trees do the serving."""
        env = {"BENCH_NAVIGATE": "1"} if navigate else {}
        wrk = Wrk(self.bench.client_cpus, cookie, self.bench.wrk.load, CLICK_SCRIPT, env)
        wrk.run(url, connections=CONNECTIONS, seconds=warm_up)
        used = cpu_seconds(servers)
        result = wrk.run(url, connections=CONNECTIONS, seconds=seconds)
        used = cpu_seconds(servers) - used
        if result.errors:
            raise RuntimeError(f"{label}: wrk saw errors: {result}")
        if expect_302 != (result.followed > 0):
            raise RuntimeError(f"{label}: {result.followed} redirects followed")
        cpu_us = used / max(result.requests - result.followed, 1) * 1e6
        print(f"  {label}: {result.clicks_per_s:,.0f}/s, {cpu_us:,.0f} us CPU", flush=True)
        return Measured(result, cpu_us)

    def record(self, label: str, measured: Measured) -> None:
        self.results.rows[label] = measured.result
        self.results.cpu_us[label] = measured.cpu_us
        self.results.order.append(label)

    @contextmanager
    def portal(
        self, label: str, *, fast: bool, granian: bool, app: str = "portal.wsgi:application"
    ) -> Iterator[tuple[str, list[int], PortalClient]]:
        """`make serve`'s stack (signed URLs on), logged in.

        Yields the click's URL, the pids of the servers and the logged-in client.
        """
        from bench.run import check_download, uploaded  # run.py imports this module

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
            yield url, [stack.pid(name) for name in stack.processes], client

    def once(
        self,
        label: str,
        *,
        fast: bool,
        granian: bool,
        navigate: bool,
        app: str = "portal.wsgi:application",
    ) -> None:
        """A row measured once, on a stack of its own."""
        with self.portal(label, fast=fast, granian=granian, app=app) as (url, servers, _):
            cookie = self.bench.wrk.cookie
            measured = self.wrk(label, url, servers, cookie, expect_302=not navigate,
                                navigate=navigate, seconds=self.bench.seconds)  # fmt: skip
        self.record(label, measured)

    def paired(self) -> None:
        """The click against the seed, the repeat against nginx static: all up, in rounds."""
        from bench.run import signed_url

        with ExitStack() as up:
            url, servers, client = up.enter_context(self.portal(NOW, fast=True, granian=True))
            seed_url, seed = up.enter_context(seed_server(self.bench))
            static = static_nginx(self.bench.root / "click-static", self.bench.media_root)
            with cpu_affinity(self.bench.server_cpus):
                static.start()
            up.callback(static.stop)

            def repeat(**kwargs: float) -> Measured:
                # The signed URL a client that sends no Sec-Fetch headers is sent to; a
                # fresh one each round, as one outlives a round, not all three (60 s TTL).
                return self.wrk(REPEAT, signed_url(client, url), servers, **kwargs)

            runs: dict[str, Callable[..., Measured]] = {
                NOW: partial(self.wrk, NOW, url, servers, self.bench.wrk.cookie, navigate=True),
                SEED: partial(self.wrk, SEED, f"{seed_url}/raw/{self.key}", [seed]),
                REPEAT: repeat,
                STATIC: partial(self.wrk, STATIC, f"{static.url}/static-ref/{self.key}",
                                [static.pid(static.server)]),
            }  # fmt: skip
            for label in runs:
                self.results.rounds[label] = []
            for n in range(ROUNDS):
                print(f"  round {n + 1} of {ROUNDS}", flush=True)
                for pair in ((NOW, SEED), (REPEAT, STATIC)):
                    for label in pair if n % 2 == 0 else pair[::-1]:
                        measured = runs[label](seconds=ROUND_SECONDS, warm_up=2 if n == 0 else 1)
                        self.results.rounds[label].append(measured)
        for label, rounds in self.results.rounds.items():
            # In the table: the round with the median rate, beside the median CPU per click.
            middle = sorted(rounds, key=lambda m: m.result.clicks_per_s)[len(rounds) // 2]
            self.record(label, Measured(middle.result, statistics.median(m.cpu_us for m in rounds)))

    def run(self) -> ClickResults:
        from bench.run import SMALL_SIZE, write_random

        self.bench.prepare_database()
        write_random(self.file, SMALL_SIZE, 3)
        print("(click) a checked 4 KiB download, every hop counted", flush=True)
        self.once(BEFORE_DJANGO, fast=False, granian=False, navigate=False)
        self.once(BEFORE, fast=True, granian=False, navigate=False)
        self.once("Portal fast path, gunicorn, browser click", fast=True, granian=False,
                  navigate=True)  # fmt: skip
        self.once("Portal fast path, granian, 302 + fetch", fast=True, granian=True,
                  navigate=False)  # fmt: skip
        self.once(FLOOR, fast=True, granian=True, navigate=True, app="bench.floorapp:application")
        self.paired()
        return self.results


def render(results: ClickResults) -> list[str]:
    seed = results.rows[SEED].clicks_per_s
    lines = [
        f"Click: a checked 4 KiB download over {CONNECTIONS} connections, every hop counted "
        "(bench/click.lua follows each 302)",
        f"{'':50}{'clicks/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'vs seed':>9}"
        f"{'CPU us/click':>14}{'vs seed':>9}",
    ]
    seed_cpu = results.cpu_us[SEED]
    for label in results.order:
        result, cpu = results.rows[label], results.cpu_us[label]
        lines.append(
            f"{label:50}{result.clicks_per_s:>9,.0f}{result.p50_us / 1000:>8.1f}"
            f"{result.p99_us / 1000:>8.1f}{result.clicks_per_s / seed:>8.2f}x"
            f"{cpu:>14,.0f}{seed_cpu / cpu:>8.2f}x"
        )
    lines += [
        "",
        "  (CPU: the servers' CPU time per click; its 'vs seed' is the seed's over the row's.",
        f"  The last four rows: the median of {ROUNDS} alternating rounds, below.)",
    ]
    verdicts = []
    for row, reference, target, name in (
        (NOW, SEED, 1.0, "click >= 1.0x the seed"),
        (REPEAT, STATIC, 0.9, "signed repeat >= 0.9x nginx static"),
    ):
        by_rate, by_cpu = results.ratios(row, reference)
        lines += [
            "",
            f"  {row} / {reference}, {ROUNDS} rounds of {ROUND_SECONDS} s:",
            f"  {'round':>7}{'/s':>9}{'ref /s':>9}{'by rate':>9}"
            f"{'CPU us':>9}{'ref us':>9}{'by CPU':>9}",
        ]
        for n, (ours, theirs) in enumerate(
            zip(results.rounds[row], results.rounds[reference], strict=True)
        ):
            lines.append(
                f"  {n + 1:>7}{ours.result.clicks_per_s:>9,.0f}{theirs.result.clicks_per_s:>9,.0f}"
                f"{by_rate[n]:>8.2f}x{ours.cpu_us:>9,.1f}{theirs.cpu_us:>9,.1f}{by_cpu[n]:>8.2f}x"
            )
        rate, cpu = statistics.median(by_rate), statistics.median(by_cpu)
        lines.append(f"  {'median':>7}{'':18}{rate:>8.2f}x{'':18}{cpu:>8.2f}x")
        verdicts.append(
            f"  [{'met' if rate >= target else 'MISSED'}] {name}: {rate:.2f}x by rate "
            f"(rounds {min(by_rate):.2f}-{max(by_rate):.2f}), {cpu:.2f}x by CPU per click"
        )
    return [*lines, "", *verdicts]
