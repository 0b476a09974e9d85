"""The servers `make bench` compares, all started through (or beside) deploy.stack."""

from __future__ import annotations

import grp
import os
import pwd
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from deploy.stack import Stack, StackError, free_port, render, server_binary

BENCH_DIR = Path(__file__).resolve().parent


@dataclass
class StreamingStack(Stack):
    """Portal behind the same nginx, but Django streams every download itself.

    Stack ties PORTAL_SENDFILE to the front server; this overrides only that.
    """

    def gunicorn_env(self) -> dict[str, str]:
        return {**super().gunicorn_env(), "PORTAL_SENDFILE": "django"}


class StaticNginx:
    """nginx with one plain `alias` location onto the media root: the reference.

    No permission check, no Python. Started on a free port, like Stack does.
    """

    def __init__(self, base_dir: Path, media_root: Path, worker_user: str = "www-data") -> None:
        self.base_dir = base_dir.resolve()
        self.media_root = media_root.resolve()
        self.worker_user = worker_user
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/static-ref/"

    def _user_directive(self) -> str:
        if os.geteuid() != 0:
            return "# not started as root: the workers keep our own uid"
        user = pwd.getpwnam(self.worker_user)
        return f"user {user.pw_name} {grp.getgrgid(user.pw_gid).gr_name};"

    def start(self) -> None:
        binary = server_binary("nginx")
        if binary is None:
            raise StackError("nginx is not installed")
        log_dir, temp_dir, run_dir = (self.base_dir / name for name in ("log", "tmp", "run"))
        for directory in (log_dir, temp_dir, run_dir):
            directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config = self.base_dir / "nginx-static.conf"
        template = (BENCH_DIR / "nginx-static.conf").read_text()
        values = {
            "user_directive": self._user_directive(),
            "listen": f"127.0.0.1:{self.port}",
            "media_root": self.media_root,
            "log_dir": log_dir,
            "temp_dir": temp_dir,
            "run_dir": run_dir,
        }
        config.write_text(render(template, values))
        with (log_dir / "nginx.out").open("ab") as output:
            self._proc = subprocess.Popen(
                [
                    binary,
                    "-p",
                    str(self.base_dir),
                    "-c",
                    str(config),
                    "-e",
                    str(log_dir / "nginx-error.log"),
                    "-g",
                    "daemon off;",
                ],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise StackError(f"reference nginx exited; see {log_dir}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise StackError(f"reference nginx did not listen on {self.port}")

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        # Workers outlive a master that was killed; the group holds only ours.
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._proc.wait()
        self._proc = None


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


def gunicorn_workers(stack: Stack) -> list[int]:
    """Pids of the stack's gunicorn workers: children of the process bound to its port.

    Workers are forks of the master, so they share its command line; the master
    is the one whose parent is not one of them.
    """
    bind = f"127.0.0.1:{stack.gunicorn_port}".encode()
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if bind not in (entry / "cmdline").read_bytes().split(b"\0"):
                continue
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in field 2 may hold spaces; fields after ")" do not.
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return sorted(pid for pid, parent in parents.items() if parent in parents)


def memory_kib(pid: int, field: str) -> int:
    """A field of /proc/<pid>/status in KiB: VmHWM (peak resident) or VmRSS (now)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(f"{field} not in /proc/{pid}/status")
