"""The servers `make bench` compares, all started through (or beside) deploy.stack."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from deploy.stack import Stack

BENCH_DIR = Path(__file__).resolve().parent


@dataclass
class StreamingStack(Stack):
    """Portal behind the same nginx, but Django streams every download itself.

    Stack ties PORTAL_SENDFILE to the front server; this overrides only that.
    """

    def gunicorn_env(self) -> dict[str, str]:
        return {**super().gunicorn_env(), "PORTAL_SENDFILE": "django"}


def static_nginx(base_dir: Path, media_root: Path) -> Stack:
    """nginx with one plain `alias` location onto the media root: the reference.

    No permission check and no Python: a Stack with no app behind it. Its files
    are under `url + "/static-ref/"`.
    """
    return Stack(
        server="nginx",
        base_dir=base_dir,
        media_root=media_root,
        static_root=media_root,
        max_upload_size=0,
        app=None,
        template=BENCH_DIR / "nginx-static.conf",
    )


def split_cpus() -> tuple[set[int], set[int]]:
    """(server CPUs, load generator CPUs): half each, so neither steals the other's core.

    On one CPU both share it: the numbers then say little, but the run still works.
    """
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return set(cpus), set(cpus)
    half = len(cpus) // 2
    return set(cpus[:half]), set(cpus[half:])


@contextmanager
def cpu_affinity(cpus: set[int]) -> Iterator[None]:
    """Processes started inside inherit `cpus`: affinity survives fork and exec."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def cpu_busy(seconds: float) -> float:
    """The fraction of all CPUs' time spent busy over the next `seconds` (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        fields = [int(value) for value in Path("/proc/stat").read_text().split()[1:9]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields), idle

    total_before, idle_before = sample()
    time.sleep(seconds)
    total_after, idle_after = sample()
    total = total_after - total_before
    return 1 - (idle_after - idle_before) / total if total else 0.0


def _processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, CPU ticks used) for every user-space process."""
    found: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name in field 2 may hold spaces; fields after ")" do not.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        parent, flags = int(fields[1]), int(fields[6])
        if flags & 0x00200000 or parent == 2:  # PF_KTHREAD: the kernel's own threads
            continue
        found[int(entry.name)] = (parent, int(fields[11]) + int(fields[12]))
    return found


def cpu_seconds(roots: list[int]) -> float:
    """CPU time used so far by the processes `roots` and all their descendants.

    What a server spends per request, read around a wrk run: when other work
    shares the CPUs, requests per second also measure how much CPU the server
    won from the scheduler; this measures what each request cost.
    """
    processes = _processes()
    ours = set(roots)
    grew = True
    while grew:
        children = {pid for pid, (parent, _) in processes.items() if parent in ours}
        grew = not children <= ours
        ours |= children
    ticks = sum(used for pid, (_, used) in processes.items() if pid in ours)
    return ticks / os.sysconf("SC_CLK_TCK")


class ForeignLoad:
    """CPU time that processes other than ours took while we measured.

    Others share these two cores (CI runs, other sessions); their share is
    printed beside the numbers instead of silently lowering them. Processes
    that start and end between two samples are missed.
    """

    def __init__(self) -> None:
        self.worst = 0.0  # the largest share of one CPU seen in a measurement
        self._start: dict[int, int] = {}
        self._started = 0.0

    def _others(self) -> dict[int, int]:
        processes = _processes()
        ours = {os.getpid()}
        grew = True
        while grew:
            children = {pid for pid, (parent, _) in processes.items() if parent in ours}
            grew = not children <= ours
            ours |= children
        return {pid: ticks for pid, (_, ticks) in processes.items() if pid not in ours}

    def begin(self) -> None:
        self._start = self._others()
        self._started = time.monotonic()

    def end(self) -> float:
        """Others' CPU use since begin(), as a share of one CPU."""
        elapsed = time.monotonic() - self._started
        ticks = sum(t - self._start.get(pid, 0) for pid, t in self._others().items())
        share = ticks / os.sysconf("SC_CLK_TCK") / elapsed if elapsed else 0.0
        self.worst = max(self.worst, share)
        return share


def memory_kib(pid: int, field: str) -> int:
    """A field of /proc/<pid>/status in KiB: VmHWM (peak resident) or VmRSS (now)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(f"{field} not in /proc/{pid}/status")
