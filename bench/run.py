"""`make bench`: download, busy-worker, upload and thumbnail measurements in one run.

`--only folders`, `--only downloads`, `--only uploads`, `--only thumbnails` or
`--only zips` runs one part (bench/folders.py, this module, bench/uploads.py,
bench/thumbnails.py, bench/zips.py).

Every server runs from deploy/ (deploy.stack.Stack) on its own SQLite database
and media root in a temporary directory, which is removed at the end (it holds
a 1 GiB file). See docs/performance.md for the method and the last numbers.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench import click, dav, folders, report, s3, thumbnails, uploads, zips
from bench.loadgen import Wrk, WrkResult
from bench.report import RunInfo
from bench.s3 import S3Results
from bench.servers import (
    StreamingStack,
    cpu_affinity,
    cpu_busy,
    memory_kib,
    split_cpus,
    static_nginx,
)
from deploy.seaweedfs import SeaweedFS
from deploy.stack import REPO_DIR, Server, Stack
from tests.tooling import PortalClient, scrubbed_env

KiB, MiB, GiB = 1024, 1024**2, 1024**3
SMALL_SIZE = 4 * KiB
LARGE_SIZE = 256 * MiB
UPLOAD_SIZE = 1 * GiB
MAX_UPLOAD_SIZE = 2 * GiB  # Portal's default limit
USERNAME = "bench"
# Enough connections to keep every gunicorn thread busy on small files; a few
# suffice to saturate loopback with large ones.
SMALL_CONNECTIONS = 16
LARGE_CONNECTIONS = 4
BUSY_DOWNLOADS = 32
# --only takes one; a whole run takes all but "s3", whose rows "downloads" ends with.
PARTS = ("folders", "click", "downloads", "uploads", "thumbnails", "zips", "dav", "s3")
# Of the Portal settings in the user's shell, only these pass into the stacks:
# they move sessions to Redis (cached_db), which the report then says.
PASSED_ENV = ("CACHE_URL", "REDIS_URL")


@dataclass
class Results:
    small: dict[str, WrkResult] = field(default_factory=dict)
    large: dict[str, WrkResult] = field(default_factory=dict)
    idle_list: dict[str, WrkResult] = field(default_factory=dict)
    busy_list: dict[str, WrkResult | None] = field(default_factory=dict)
    busy_downloads: dict[str, WrkResult] = field(default_factory=dict)
    # (b2)'s first request: the permission check answering 302 to the signed URL.
    first_request: WrkResult | None = None
    s3: S3Results | None = None


class Bench:
    def __init__(self, root: Path, seconds: float) -> None:
        self.root = root
        self.seconds = seconds
        self.server_cpus, self.client_cpus = split_cpus()
        self.media_root = root / "media"
        self.data_dir = root / "data"
        self.password = secrets.token_urlsafe(16)
        self._env = self.env()
        self.results = Results()
        self.wrk = Wrk(self.client_cpus)
        self.small_file = self.data_dir / "bench-small.bin"
        self.large_file = self.data_dir / "bench-large.bin"
        self.upload_file = self.data_dir / "bench-upload.bin"
        self.downloads: dict[str, str] = {}  # file name -> /files/<uuid>/download/
        self.keys: dict[str, str] = {}  # file name -> storage key under the media root

    # -- set-up ---------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """gunicorn's and manage.py's environment: everything in the temp dir."""
        passed = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
        env = scrubbed_env(
            **passed,
            DATABASE_URL=f"sqlite:///{self.root / 'db.sqlite3'}",
            PORTAL_VAR_DIR=str(self.root / "var"),
            PORTAL_MEDIA_ROOT=str(self.media_root),
            PORTAL_STATIC_ROOT=str(self.root / "static"),
            # Same filesystem as the media root: a finished upload is renamed, not copied.
            PORTAL_UPLOAD_TEMP_DIR=str(self.root / "upload-tmp"),
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            DEBUG="false",
        )
        # gunicorn's own rule (2 x CPUs + 1) for the CPUs the server really has:
        # deploy/gunicorn.conf.py counts every CPU of the machine, affinity or not.
        env.setdefault("WEB_CONCURRENCY", str(2 * len(self.server_cpus) + 1))
        return env

    def prepare(self) -> None:
        """The database and user every part needs; the download files for that part."""
        self.prepare_database()
        for seed, (path, size) in enumerate(
            [(self.small_file, SMALL_SIZE), (self.large_file, LARGE_SIZE)]
        ):
            write_random(path, size, seed)

    def prepare_database(self) -> None:
        env = self._env
        (self.root / "upload-tmp").mkdir(exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        if (self.root / "db.sqlite3").exists():
            return
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=REPO_DIR, env=env, check=True)
        # Pages link the manifest's hashed static names: no manifest, no login page.
        subprocess.run(
            [*manage, "collectstatic", "--noinput", "-v0"], cwd=REPO_DIR, env=env, check=True
        )
        create_user = (
            "import os; from django.contrib.auth import get_user_model; "
            f"get_user_model().objects.create_user({USERNAME!r}, password=os.environ['BENCH_PW'])"
        )
        subprocess.run(
            [*manage, "shell", "-v0", "-c", create_user],
            cwd=REPO_DIR,
            env={**env, "BENCH_PW": self.password},
            check=True,
        )

    @contextmanager
    def stack(
        self,
        name: str,
        server: Server,
        kind: type[Stack] = Stack,
        env: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Iterator[Stack]:
        stack = kind(
            server=server,
            base_dir=self.root / name,
            media_root=self.media_root,
            static_root=self.root / "static",
            max_upload_size=MAX_UPLOAD_SIZE,
            env={**self._env, **(env or {})},
            **kwargs,
        )
        # The server and its workers (forked later) inherit the server CPUs.
        with cpu_affinity(self.server_cpus):
            stack.start()
        try:
            yield stack
        finally:
            stack.stop()

    def login(self, stack: Stack) -> PortalClient:
        client = PortalClient(stack.url, timeout=600).login(USERNAME, self.password)
        self.wrk.cookie = client.cookie_header()
        return client

    # -- measurements ---------------------------------------------------------

    def downloads_of(self, label: str, small_url: str, large_url: str) -> None:
        check_download(small_url, self.small_file.read_bytes(), self.wrk.cookie)
        check_download(large_url, None, self.wrk.cookie, LARGE_SIZE)
        self.wrk.run(small_url, connections=SMALL_CONNECTIONS, seconds=2)  # warm-up
        small = self.wrk.run(small_url, connections=SMALL_CONNECTIONS, seconds=self.seconds)
        large = self.wrk.run(large_url, connections=LARGE_CONNECTIONS, seconds=self.seconds)
        for result, size in ((small, SMALL_SIZE), (large, LARGE_SIZE)):
            check_result(label, result, size)
        self.results.small[label] = small
        self.results.large[label] = large
        print(f"  {label}: {small.rps:,.0f} small/s, {large.mb_per_s:,.0f} MB/s large", flush=True)

    def signed(self, stack: Stack) -> None:
        """(b2): wrk repeats the signed URL one permission-checked /download/ answered.

        Its first request, the 302 from Django, is measured on its own.
        """
        client = self.login(stack)
        small, large = (
            signed_url(client, stack.url + self.downloads[path.name])
            for path in (self.small_file, self.large_file)
        )
        self.downloads_of("signed", small, large)
        small_check = stack.url + self.downloads[self.small_file.name]
        self.wrk.run(small_check, connections=SMALL_CONNECTIONS, seconds=2)  # warm-up
        first = self.wrk.run(small_check, connections=SMALL_CONNECTIONS, seconds=self.seconds)
        check_result("signed 302", first, 0)
        self.results.first_request = first
        print(
            f"  first request (302): {first.rps:,.0f}/s, p50 {first.p50_us / 1000:.1f} ms",
            flush=True,
        )

    def busy_workers(self, label: str, stack: Stack) -> None:
        """The list page, idle and then while 32 clients download the large file."""
        list_url = stack.url + "/files/"
        large_url = stack.url + self.downloads[self.large_file.name]
        self.wrk.run(list_url, connections=1, seconds=2)  # warm-up
        idle = self.wrk.run(list_url, connections=1, seconds=self.seconds)
        check_result(label, idle, 1)
        # The downloads start first and outlast the probe on both sides.
        downloads = self.wrk.start(large_url, connections=BUSY_DOWNLOADS, seconds=self.seconds + 6)
        time.sleep(3)
        busy = self.wrk.run(list_url, connections=1, seconds=self.seconds)
        background = self.wrk.finish(downloads)
        check_result(label, background, 0)
        self.results.idle_list[label] = idle
        # No list page at all within the run: the workers were all taken.
        self.results.busy_list[label] = busy if busy.requests else None
        self.results.busy_downloads[label] = background
        print(
            f"  {label}: list p99 idle {idle.p99_us / 1000:.1f} ms, "
            f"busy {busy.p99_us / 1000:.1f} ms ({busy.requests} pages)",
            flush=True,
        )
        time.sleep(2)  # let aborted downloads drain before the next measurement

    def measure_upload(
        self, name: str, env: Mapping[str, str] | None = None, *, seed: bool = False
    ) -> tuple[float, int, int]:
        """Seconds, and the peak RSS (KiB) of the worker that took it, then and before.

        `seed`: the same upload to the seed's Flask app (bench/flaskapp.py) instead.
        """
        app = {"app": uploads.SEED_APP} if seed else {}
        with self.stack(name, "nginx", env=env, **app) as stack:
            client = PortalClient(stack.url, timeout=600)
            if not seed:
                client.login(USERNAME, self.password)
                client.session.get(stack.url + "/files/upload/", timeout=30)  # warm every import
            workers = stack.worker_pids()
            before = {pid: memory_kib(pid, "VmHWM") for pid in workers}
            if seed:
                seconds = uploads.seed_uploaded(stack.url, self.upload_file)
            else:
                seconds = uploaded(client, self.upload_file)
            after = {pid: memory_kib(pid, "VmHWM") for pid in workers}
        # The worker that took the upload is the one whose peak grew the most.
        pid = max(workers, key=lambda pid: after[pid] - before[pid])
        return seconds, after[pid], before[pid]

    def s3(self) -> S3Results:
        """The S3 rows: one store, the download both ways, then the upload both ways."""
        print("(s3) SeaweedFS: 256 MiB download, nginx vs straight from the gateway", flush=True)
        with SeaweedFS(self.root / "seaweedfs", max_volumes=s3.STORE_VOLUMES) as store:
            env = store.django_env()
            with self.stack("s3", "nginx", env=env) as stack:
                client = self.login(stack)
                uploaded(client, self.large_file)
                # The store is new: its one object is this upload. (After the
                # downloads part the same name is taken by a local file, and
                # this one is stored as "bench-large (1).bin".)
                [key] = store.keys()
                path = f"/files/{key.rsplit('/', 1)[1]}/download/"
                via_nginx, direct = stack.url + path, s3.direct_url(store, key)
                direct_wrk = Wrk(self.client_cpus, load=self.wrk.load)  # no cookie
                check_download(via_nginx, None, self.wrk.cookie, LARGE_SIZE)
                check_download(direct, None, "", LARGE_SIZE)
                runs = {}
                for label, wrk, url in (
                    ("direct", direct_wrk, direct),
                    ("nginx", self.wrk, via_nginx),
                ):
                    runs[label] = wrk.run(url, connections=LARGE_CONNECTIONS, seconds=self.seconds)
                    check_result(f"s3 {label}", runs[label], LARGE_SIZE)
                    print(f"  {label}: {runs[label].mb_per_s:,.0f} MB/s", flush=True)
            print("(s3) 1 GiB upload through nginx -> gunicorn -> S3, and to local storage")
            write_random(self.upload_file, UPLOAD_SIZE, 2)
            try:
                seconds, peak, baseline = self.measure_upload("upload-s3", env)
                local_seconds = self.measure_upload("upload-local")[0]
            finally:
                self.upload_file.unlink()
            print(f"  S3 {seconds:.1f} s, local {local_seconds:.1f} s", flush=True)
        return s3.S3Results(runs["nginx"], runs["direct"], seconds, peak, baseline, local_seconds)

    def run(self) -> Results:
        print(f"server on CPUs {sorted(self.server_cpus)}, wrk on {sorted(self.client_cpus)}")
        self.prepare()
        with self.stack("x-accel", "nginx") as stack:
            client = self.login(stack)
            for path in (self.small_file, self.large_file):
                uploaded(client, path)
                self.downloads[path.name] = f"/files/{client.file_id(path.name)}/download/"
                uuid = self.downloads[path.name].split("/")[2]
                [stored] = self.media_root.glob(f"u/*/{uuid}")
                self.keys[path.name] = str(stored.relative_to(self.media_root))
            # The reference right before (b), so that the ratio spans a minute, not five.
            print("(a) nginx static (reference)", flush=True)
            static = static_nginx(self.root / "static-nginx", self.media_root)
            with cpu_affinity(self.server_cpus):
                static.start()
            try:
                self.downloads_of("static", *self.key_urls(static.url + "/static-ref/"))
            finally:
                static.stop()
            print("(b) Portal, nginx X-Accel-Redirect", flush=True)
            self.downloads_of("nginx", *self.portal_urls(stack))
            self.busy_workers("nginx", stack)
        # Then (b2) and the peer right after it: (b2) against (e) is the small-file target.
        print("(b2) Portal, signed URL (repeat requests)", flush=True)
        # A TTL that outlasts the runs on one URL; nginx's cost does not depend on it.
        signing = {"PORTAL_SIGNED_URL_SECRET": secrets.token_urlsafe(32)}
        with self.stack(
            "signed", "nginx", env={**signing, "PORTAL_SIGNED_URL_TTL": "300"}
        ) as stack:
            self.signed(stack)
        print("(e) Flask send_from_directory behind nginx", flush=True)
        with self.stack("flask", "nginx", app="bench.flaskapp:app") as stack:
            self.downloads_of("flask", *self.key_urls(stack.url + "/raw/"))
        print("(c) Portal, Apache X-Sendfile", flush=True)
        with self.stack("x-sendfile", "apache") as stack:
            self.downloads_of("apache", *self.portal_urls(stack))
        print("(d) Portal, Django streaming behind nginx", flush=True)
        with self.stack("streaming", "nginx", StreamingStack) as stack:
            self.downloads_of("django", *self.portal_urls(stack))
            self.busy_workers("django", stack)
        self.results.s3 = self.s3()
        return self.results

    def run_s3(self) -> S3Results:
        print(f"server on CPUs {sorted(self.server_cpus)}, wrk on {sorted(self.client_cpus)}")
        self.prepare()
        return self.s3()

    def portal_urls(self, stack: Stack) -> tuple[str, str]:
        small, large = (self.downloads[p.name] for p in (self.small_file, self.large_file))
        return stack.url + small, stack.url + large

    def key_urls(self, prefix: str) -> tuple[str, str]:
        small, large = (self.keys[p.name] for p in (self.small_file, self.large_file))
        return prefix + small, prefix + large

    def info(self, busy_before: float) -> RunInfo:
        return RunInfo(
            busy_before=busy_before,
            foreign_load=self.wrk.load.worst,
            gunicorn_workers=self._env["WEB_CONCURRENCY"],
            gunicorn_threads=self._env.get("GUNICORN_THREADS", "4 (deploy default)"),
            sessions="cached_db in Redis"
            if self._env.get("CACHE_URL") or self._env.get("REDIS_URL")
            else "database",
            gunicorn_args=self._env.get("GUNICORN_CMD_ARGS", ""),
            seconds=self.seconds,
            server_cpus=self.server_cpus,
            client_cpus=self.client_cpus,
            small_connections=SMALL_CONNECTIONS,
            large_connections=LARGE_CONNECTIONS,
            busy_downloads=BUSY_DOWNLOADS,
            upload_size=UPLOAD_SIZE,
        )


def write_random(path: Path, size: int, seed: int) -> None:
    """Incompressible bytes, reproducible by seed.

    One random MiB, each copy stamped with its offset: nothing on the way
    compresses, and a GiB takes a second rather than the five of randbytes().
    """
    block = random.Random(seed).randbytes(min(MiB, size))
    with path.open("wb") as file:
        for offset in range(0, size, MiB):
            stamped = offset.to_bytes(8, "big") + block[8:]
            file.write(stamped[: size - offset])


def uploaded(client: PortalClient, path: Path) -> float:
    """Upload `path` and return the seconds it took; anything but the 302 to the list fails."""
    started = time.perf_counter()
    response = client.upload(path)
    elapsed = time.perf_counter() - started
    # A form error comes back as a 200 page.
    if response.status_code != 302:
        raise RuntimeError(f"upload of {path.name} failed: HTTP {response.status_code}")
    return elapsed


def check_download(
    url: str,
    content: bytes | None,
    cookie: str,
    size: int = 0,
    headers: dict[str, str] | None = None,
) -> None:
    """One request before wrk: a login redirect or a wrong body would count as success there."""
    headers = {"Cookie": cookie, **(headers or {})}
    with requests.get(url, headers=headers, stream=True, allow_redirects=False, timeout=30) as r:
        if r.status_code != 200:
            raise RuntimeError(f"GET {url}: HTTP {r.status_code}")
        if content is not None and r.content != content:
            raise RuntimeError(f"GET {url}: not the uploaded bytes")
        if size and int(r.headers.get("Content-Length", -1)) != size:
            raise RuntimeError(f"GET {url}: Content-Length {r.headers.get('Content-Length')}")


def signed_url(client: PortalClient, download_url: str) -> str:
    """The signed URL a permission-checked /download/ redirects to (absolute)."""
    response = client.session.get(download_url, allow_redirects=False, timeout=30)
    location = response.headers.get("Location", "")
    if response.status_code != 302 or not location.startswith("/_signed/"):
        raise RuntimeError(f"GET {download_url}: HTTP {response.status_code} {location!r}")
    return client.url + location


def check_result(label: str, result: WrkResult, size: int) -> None:
    if result.errors:
        raise RuntimeError(f"{label}: wrk saw errors: {result}")
    if size and result.requests and result.bytes < result.requests * size:
        raise RuntimeError(f"{label}: responses shorter than the file: {result}")


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # SystemExit unwinds the with-blocks: servers stopped, the 1 GiB file deleted.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10, help="length of each wrk run")
    parser.add_argument(
        "--only",
        choices=PARTS,
        help=(
            "run one part: bench.folders, the click (bench.click), "
            "the servers (downloads, uploads, S3), bench.thumbnails, bench.zips, "
            "the WebDAV rows (bench.dav), or the S3 rows alone (SeaweedFS)"
        ),
    )
    args = parser.parse_args(argv)
    parts = [args.only] if args.only else [part for part in PARTS if part != "s3"]
    if "folders" in parts:
        folders.main([])
        if parts == ["folders"]:
            return 0
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    busy = cpu_busy(2.0)
    if busy > 0.1:
        print(f"warning: the machine is {busy:.0%} busy before the bench; numbers will be off")
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        bench = Bench(Path(tmp), args.seconds)
        # The bench's own HTTP client (the upload) runs beside wrk, not beside the server.
        os.sched_setaffinity(0, bench.client_cpus)
        reports = []
        if "click" in parts:
            reports.append("\n".join(click.render(click.Click(bench).run())))
        if "s3" in parts:
            reports.append("\n".join(s3.render(bench.run_s3(), UPLOAD_SIZE, LARGE_CONNECTIONS)))
        if "downloads" in parts:
            results = bench.run()
            reports.append(report.render(results, bench.info(busy)))
        if "uploads" in parts:
            reports.append("\n".join(uploads.render(uploads.run(bench))))
        if "thumbnails" in parts:
            bench.prepare_database()
            reports.append(thumbnails.render_report(thumbnails.run(bench)))
        if "zips" in parts:
            reports.append(zips.render(zips.run(bench)))
        if "dav" in parts:
            reports.append("\n".join(dav.run(Path(tmp) / "dav")))
    print()
    if "downloads" not in parts:
        print(f"Machine: {report.machine()}; CPU {busy:.0%} busy before the run.")
    print("\n\n".join(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
