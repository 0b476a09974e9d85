"""wrk, pinned to the load generator's CPUs, with results read back as numbers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.servers import ForeignLoad

LUA_SCRIPT = Path(__file__).resolve().parent / "wrk.lua"
MARKER = "BENCH_RESULT "
FOLLOWED = "BENCH_FOLLOWED "


@dataclass(frozen=True)
class WrkResult:
    requests: int
    bytes: int
    duration_us: int
    connect_errors: int
    read_errors: int
    write_errors: int
    status_errors: int
    timeouts: int
    p50_us: int
    p99_us: int
    # Redirects bench/click.lua followed: requests - followed = clicks.
    followed: int = 0

    @property
    def seconds(self) -> float:
        return self.duration_us / 1e6

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def clicks_per_s(self) -> float:
        """Clicks (a checked request and the redirect it answered, if any) per second."""
        return (self.requests - self.followed) / self.seconds

    @property
    def mb_per_s(self) -> float:
        """Bytes received (bodies of unfinished downloads included) per second, in MB."""
        return self.bytes / self.seconds / 1e6

    @property
    def errors(self) -> int:
        # wrk counts a request still running after --timeout as a timeout even
        # when it completes later; the runs here use a timeout longer than the test.
        return self.connect_errors + self.read_errors + self.write_errors + self.status_errors


class Wrk:
    """Builds and runs wrk commands: one thread, on the CPUs `cpus`, with `cookie`."""

    def __init__(
        self,
        cpus: set[int],
        cookie: str = "",
        load: ForeignLoad | None = None,
        script: Path = LUA_SCRIPT,
        env: dict[str, str] | None = None,
    ) -> None:
        binary = shutil.which("wrk")
        if binary is None:
            raise RuntimeError("wrk is not installed (apt-get install wrk)")
        self.binary = binary
        self.cpus = cpus
        self.cookie = cookie
        self.load = load or ForeignLoad()
        self.script = script
        self.env = env or {}  # for the script (bench/click.lua reads BENCH_NAVIGATE)

    def command(self, url: str, *, connections: int, seconds: float, nice: int = 0) -> list[str]:
        """wrk's command line; `nice`: its CPU priority (a background load's client)."""
        return [
            *(["nice", "-n", str(nice)] if nice else []),
            # taskset, not preexec_fn: safe while the bench samples memory in a thread.
            "taskset",
            "--cpu-list",
            ",".join(map(str, sorted(self.cpus))),
            self.binary,
            "--threads=1",
            f"--connections={connections}",
            f"--duration={max(round(seconds), 1)}s",
            # Longer than any run: a 256 MB download among 32 must not count as lost.
            "--timeout=120s",
            f"--script={self.script}",
            url,
        ]

    def start(
        self, url: str, *, connections: int, seconds: float, nice: int = 0
    ) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(url, connections=connections, seconds=seconds, nice=nice),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "BENCH_COOKIE": self.cookie, **self.env},
        )

    def finish(self, proc: subprocess.Popen[str]) -> WrkResult:
        output, _ = proc.communicate()
        followed = 0
        for line in output.splitlines():
            if line.startswith(FOLLOWED):
                followed = int(line.removeprefix(FOLLOWED))
        for line in output.splitlines():
            if line.startswith(MARKER):
                return WrkResult(**json.loads(line.removeprefix(MARKER)), followed=followed)
        raise RuntimeError(f"wrk printed no result (exit {proc.returncode}):\n{output}")

    def run(self, url: str, *, connections: int, seconds: float) -> WrkResult:
        self.load.begin()
        result = self.finish(self.start(url, connections=connections, seconds=seconds))
        self.load.end()
        return result
