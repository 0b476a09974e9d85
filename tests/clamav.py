"""A real clamd for the tests, on a free loopback port, with an offline signature database.

The database is one MD5 signature made by `sigtool --md5` from the EICAR test
file (never freshclam: no network, and a real database takes a minute and a
gigabyte to load). Started and stopped by the tests, by its own pid.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.stack import free_port
from files.scanning import clamd
from tests.availability import skip_or_fail

# The EICAR anti-virus test file (eicar.org): harmless, and every scanner reports it.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
# A small StreamMaxLength, so that clamd's own "size limit exceeded" is tried too.
STREAM_MAX = 1024 * 1024


def binary(name: str) -> str | None:
    """Where `name` is; Debian puts clamd in /usr/sbin, off a plain user's PATH."""
    return shutil.which(name, path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")


class Clamd:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        # The same clamd on a Unix socket too, as Debian's listens (/run/clamav/clamd.ctl).
        self.socket = str(root / "clamd.sock")
        self.process: subprocess.Popen[bytes] | None = None
        database = root / "db"
        database.mkdir(parents=True, exist_ok=True)
        sample = root / "eicar.com"
        sample.write_bytes(EICAR)
        signature = subprocess.run(
            [binary("sigtool") or "sigtool", "--md5", str(sample)],
            check=True,
            capture_output=True,
            cwd=root,
        ).stdout
        (database / "eicar.hdb").write_bytes(signature)
        self.config = root / "clamd.conf"
        self.config.write_text(
            "Foreground yes\n"
            f"DatabaseDirectory {database}\n"
            f"TCPSocket {self.port}\n"
            "TCPAddr 127.0.0.1\n"
            f"LocalSocket {self.socket}\n"
            f"StreamMaxLength {STREAM_MAX}\n"
            f"LogFile {root / 'clamd.log'}\n"
        )

    def start(self, timeout: float = 60) -> None:
        self.process = subprocess.Popen(
            [binary("clamd") or "clamd", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "clamd.err").open("ab"),
        )
        deadline = time.monotonic() + timeout
        while not clamd.ping(self.address):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"clamd did not start: {(self.root / 'clamd.err').read_text()}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def clamd_unavailable() -> str | None:
    for name, package in (("clamd", "clamav-daemon"), ("sigtool", "clamav")):
        if binary(name) is None:
            return f"{name} is not installed (Debian: {package})"
    return None


@pytest.fixture(scope="session")
def clamd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    reason = clamd_unavailable()
    if reason:
        skip_or_fail(reason)
    server = Clamd(tmp_path_factory.mktemp("clamd"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
