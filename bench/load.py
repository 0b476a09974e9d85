"""`make load`: many clients mixing every action against the `make serve` stack, with faults.

The stack is what `APP_SERVERS=2 make serve` runs (nginx in front of two
gunicorn masters, sessions in Redis) on a PostgreSQL cluster of its own, so
that a fault can restart it, and files in a SeaweedFS bucket. Clients sign in,
list, upload, download (checking every byte) and delete for a while; faults
kill a gunicorn worker mid-upload and mid-download, restart PostgreSQL and
stop the S3 store for a few seconds. Afterwards every
acknowledged upload must be in the database with its sha256 and the fsck must
be clean. A 503 counts as a clear refusal only while a fault lasts (and a few
seconds after), and so do nginx's 502/504 for a download while the store is
stopped (the bytes come from the store, not through Python); anything else
unexpected is an error.

tests/integration/test_faults.py runs a short version of the same.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from deploy import seaweedfs
from deploy.seaweedfs import SeaweedFS
from deploy.stack import REPO_DIR, Stack
from tests.tooling import (
    CHUNK,
    PortalClient,
    PrivatePostgres,
    Sample,
    download_ids,
    killing_the_worker_writing,
    scrubbed_env,
)

MiB = 1024 * 1024
# Share of each action in a client's loop.
MIX = {"sign-in": 10, "list": 35, "upload": 20, "download": 25, "delete": 10}
EXPECTED = {"sign-in": 302, "list": 200, "upload": 302, "download": 200, "delete": 302}
# What the fsck may never find after a run, whatever the faults.
DAMAGE = ("missing", "size", "sha256")
# After a fault, how long the portal may still answer 503 while it recovers.
RECOVERY_SECONDS = 5.0


@dataclass(frozen=True)
class Outcome:
    kind: str
    started: float
    seconds: float
    status: int  # 0: no HTTP answer at all
    detail: str = ""
    target: str = ""  # the file a download or delete was for


@dataclass
class Fault:
    name: str
    at: float  # seconds into the run
    action: Callable[[], str]
    # Answers that are clear refusals while this fault lasts, by action.
    allows: dict[str, frozenset[int]] = field(default_factory=dict)
    started: float = 0.0
    ended: float = 0.0
    result: str = ""


@dataclass
class Acknowledged:
    owner: str
    name: str
    sha256: str
    file_id: str | None = None
    deleted: bool = False
    # A delete whose answer was lost (a worker killed after the commit, so nginx
    # says 503): it may have happened, and the client no longer touches the file.
    maybe_deleted: bool = False


@dataclass
class Results:
    seconds: float
    clients: int
    outcomes: list[Outcome]
    faults: list[Fault]
    uploads: list[Acknowledged]
    problems: list[str] = field(default_factory=list)
    # Orphans of refused uploads that the fsck found (and --repair removed).
    leftovers: list[str] = field(default_factory=list)
    # Deletes without an answer that had in fact removed the file.
    silent_deletes: int = 0

    def refusal(self, outcome: Outcome) -> bool:
        """A clear refusal: a 503 (or what the fault allows) while a fault lasts."""
        end = outcome.started + outcome.seconds
        return any(
            outcome.started <= fault.ended + RECOVERY_SECONDS
            and end >= fault.started
            and outcome.status in fault.allows.get(outcome.kind, frozenset({503}))
            for fault in self.faults
        )

    def errors(self) -> list[Outcome]:
        """Every answer that was neither the expected one nor a clear refusal."""
        return [o for o in self.outcomes if o.status != EXPECTED[o.kind] and not self.refusal(o)]

    def refused(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != EXPECTED[o.kind] and self.refusal(o)]

    def table(self) -> str:
        by_kind: dict[str, list[float]] = defaultdict(list)
        for outcome in self.outcomes:
            if outcome.status == EXPECTED[outcome.kind]:
                by_kind[outcome.kind].append(outcome.seconds * 1000)
        lines = [
            "| action | requests | req/s | p50 ms | p95 ms | p99 ms |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for kind in MIX:
            times = sorted(by_kind[kind])
            if not times:
                lines.append(f"| {kind} | 0 | 0 | | | |")
                continue
            cuts = statistics.quantiles(times, n=100, method="inclusive")
            lines.append(
                f"| {kind} | {len(times)} | {len(times) / self.seconds:.1f} "
                f"| {cuts[49]:.0f} | {cuts[94]:.0f} | {cuts[98]:.0f} |"
            )
        total = sum(len(v) for v in by_kind.values())
        lines.append(f"| all | {total} | {total / self.seconds:.1f} | | | |")
        return "\n".join(lines)


class LoadClient:
    """One simulated person: a loop of weighted random actions on their own files."""

    def __init__(self, run: LoadRun, index: int) -> None:
        self.run = run
        self.username = run.usernames[index % len(run.usernames)]
        self.index = index
        self.random = random.Random(index)
        self.client = PortalClient(run.url, timeout=120)
        self.mine: list[Acknowledged] = []
        self.counter = 0

    def record(
        self, kind: str, started: float, status: int, detail: str = "", target: str = ""
    ) -> None:
        now = time.monotonic()
        self.run.record(Outcome(kind, started - self.run.t0, now - started, status, detail, target))

    def loop(self, stop: threading.Event) -> None:
        self.sign_in()
        kinds, weights = list(MIX), list(MIX.values())
        while not stop.is_set():
            kind = self.random.choices(kinds, weights)[0]
            if "sessionid" not in self.client.session.cookies:
                kind = "sign-in"  # the last one was refused (a 503 during a fault)
            elif kind in ("download", "delete") and not any(a.file_id for a in self.mine):
                kind = "upload"
            started = time.monotonic()
            try:
                getattr(self, kind.replace("-", "_"))()
            except Exception as error:  # noqa: BLE001 - an error of the run, not of this thread
                self.record(kind, started, 0, repr(error))

    def sign_in(self) -> None:
        started = time.monotonic()
        self.client = PortalClient(self.run.url, timeout=120)
        page = self.client.session.get(f"{self.run.url}/accounts/login/", timeout=120)
        if page.status_code != 200:
            self.record("sign-in", started, page.status_code, "login page")
            return
        response = self.client.session.post(
            f"{self.run.url}/accounts/login/",
            data={
                "username": self.username,
                "password": self.run.password,
                "csrfmiddlewaretoken": self.client.csrf_token,
            },
            headers={"Referer": f"{self.run.url}/accounts/login/"},
            allow_redirects=False,
            # Password hashing (PBKDF2) is the costliest request here by far.
            timeout=120,
        )
        self.record("sign-in", started, response.status_code)

    def list(self) -> None:
        started = time.monotonic()
        response = self.client.session.get(f"{self.run.url}/files/", timeout=120)
        if response.status_code == 200 and 'name="q"' not in response.text:
            self.record("list", started, -1, "not the list page (signed out?)")
            return
        self.record("list", started, response.status_code)

    def upload(self) -> None:
        self.counter += 1
        name = f"load-{self.index}-{self.counter}-{secrets.token_hex(4)}.bin"
        sample = Sample.write(self.run.samples, name, self.random.randint(1, 256) * 1024)
        started = time.monotonic()
        response = self.client.upload(sample)
        sample.path.unlink()
        self.record("upload", started, response.status_code, target=name)
        if response.status_code == 302:
            acknowledged = Acknowledged(self.username, name, sample.sha256)
            self.run.acknowledge(acknowledged)
            self.mine.append(acknowledged)
            self.find(acknowledged)

    def find(self, upload: Acknowledged) -> None:
        """Its id, by a search as a person would (a listing of its own)."""
        started = time.monotonic()
        response = self.client.session.get(
            f"{self.run.url}/files/", params={"q": upload.name}, timeout=120
        )
        self.record("list", started, response.status_code, target=upload.name)
        ids = download_ids(response.text) if response.status_code == 200 else []
        upload.file_id = ids[0] if len(ids) == 1 else None

    def pick(self) -> tuple[Acknowledged, str]:
        """One of this client's own files whose id it knows."""
        target = self.random.choice([a for a in self.mine if a.file_id])
        return target, target.file_id or ""

    def download(self) -> None:
        target, file_id = self.pick()
        started = time.monotonic()
        url = f"{self.run.url}/files/{file_id}/download/"
        response = self.client.session.get(url, stream=True, timeout=120)
        digest = hashlib.sha256()
        with response:
            for chunk in response.iter_content(CHUNK):
                digest.update(chunk)
        status = response.status_code
        if status == 200 and digest.hexdigest() != target.sha256:
            self.record("download", started, -1, "wrong bytes", target.name)
            return
        self.record("download", started, status, target=target.name)

    def delete(self) -> None:
        target, file_id = self.pick()
        started = time.monotonic()
        response = self.client.delete(file_id)
        self.record("delete", started, response.status_code, target=target.name)
        if response.status_code == 302:
            target.deleted = True
        else:
            target.maybe_deleted = True
        self.mine.remove(target)


@dataclass
class LoadRun:
    """A stack, its private PostgreSQL, and the clients and faults aimed at it."""

    root: Path
    # The S3 store and its bucket; None: files on the local disk.
    store: SeaweedFS | None = None
    bucket: str = "portal"
    users: int = 10
    password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    app_servers: int = 2
    workers: int = 3
    # Big enough that Django is still writing it when the fault looks for it.
    fault_file_size: int = 32 * MiB
    stack: Stack = field(init=False)
    postgres: PrivatePostgres = field(init=False)
    env: dict[str, str] = field(init=False)
    t0: float = 0.0
    fault_client: PortalClient = field(init=False)
    _outcomes: list[Outcome] = field(init=False, default_factory=list)
    _uploads: list[Acknowledged] = field(init=False, default_factory=list)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return self.stack.url

    @property
    def usernames(self) -> list[str]:
        return [f"user{i}" for i in range(self.users)]

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def upload_temp_dir(self) -> Path:
        return self.root / "upload-tmp"

    def record(self, outcome: Outcome) -> None:
        with self._lock:
            self._outcomes.append(outcome)

    def acknowledge(self, upload: Acknowledged) -> None:
        with self._lock:
            self._uploads.append(upload)

    def manage(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO_DIR,
            env={**self.stack.gunicorn_env(), **env},
            capture_output=True,
            text=True,
            timeout=600,
        )

    @contextmanager
    def running(self) -> Iterator[LoadRun]:
        self.postgres = PrivatePostgres(self.root / "postgres")
        self.postgres.start()
        try:
            with psycopg.connect(f"{self.postgres.url}/postgres", autocommit=True) as admin:
                admin.execute("CREATE DATABASE portal")
            for directory in (self.samples, self.upload_temp_dir):
                directory.mkdir(parents=True)
            self.env = scrubbed_env(
                DATABASE_URL=f"{self.postgres.url}/portal",
                REDIS_URL="redis://127.0.0.1:6379/0",
                SECRET_KEY=secrets.token_urlsafe(50),
                PORTAL_SIGNED_URL_SECRET=secrets.token_urlsafe(32),
                PORTAL_VAR_DIR=str(self.root / "var"),
                PORTAL_UPLOAD_TEMP_DIR=str(self.upload_temp_dir),
                WEB_CONCURRENCY=str(self.workers),
            )
            if self.store is not None:
                # Short, so that a stopped store fails an upload within seconds.
                self.env |= self.store.django_env(self.bucket) | {"PORTAL_S3_TIMEOUT": "2"}
            self.stack = Stack(
                server="nginx",
                base_dir=self.root / "stack",
                media_root=self.root / "media",
                static_root=self.root / "static",
                max_upload_size=2 * 1024**3,
                env=self.env,
                app_servers=self.app_servers,
            )
            # One interpreter for the set-up: each manage.py start costs a second or two.
            setup = (
                "import os\n"
                "from django.contrib.auth import get_user_model\n"
                "from django.core.management import call_command\n"
                "call_command('migrate', interactive=False, verbosity=0)\n"
                "call_command('collectstatic', interactive=False, verbosity=0)\n"
                f"for name in {self.usernames + ['faults']!r}:\n"
                "    get_user_model().objects.create_user(name, password=os.environ['LOAD_PW'])\n"
            )
            self.manage("shell", "-c", setup, LOAD_PW=self.password).check_returncode()
            self.stack.start()
            # Signed in once: a sign-in hashes a password, seconds on a busy machine.
            self.fault_client = PortalClient(self.url, timeout=120).login("faults", self.password)
            try:
                yield self
            finally:
                self.stack.stop()
        finally:
            self.postgres.stop("immediate")

    # -- faults --------------------------------------------------------------

    def kill_mid_upload(self) -> str:
        """Upload a big file and SIGKILL the worker writing it; the client must get a 503."""
        client = self.fault_client
        big = Sample.write(self.samples, f"fault-{secrets.token_hex(4)}.bin", self.fault_file_size)
        # The load's own uploads are at most 256 KiB: past 1 MiB it is ours.
        with killing_the_worker_writing(self.upload_temp_dir, at_least=MiB) as killed:
            response = client.upload(big)
        big.path.unlink()
        if not killed:
            raise RuntimeError("the fault upload finished before its worker could be killed")
        if response.status_code != 503 or client.file_ids(big.name):
            raise RuntimeError(f"killed mid-upload: HTTP {response.status_code}, or it was kept")
        return f"worker {killed[0]} killed mid-upload: client got 503, nothing kept"

    def kill_mid_download(self) -> str:
        """Start a big download, SIGKILL a worker of each app server, finish the download."""
        client = self.fault_client
        big = Sample.write(
            self.samples, f"fault-dl-{secrets.token_hex(4)}.bin", self.fault_file_size
        )
        if client.upload(big).status_code != 302:
            raise RuntimeError("could not upload the fault download's file")
        big.path.unlink()
        file_id = client.file_id(big.name)
        killed = []
        url = f"{self.url}/files/{file_id}/download/"
        with client.session.get(url, stream=True, timeout=60) as response:
            chunks = response.iter_content(CHUNK)
            digest = hashlib.sha256(next(chunks))
            for name in self.stack.gunicorn_names:
                pid = random.choice(self.stack.worker_pids(name))  # noqa: S311
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            for chunk in chunks:
                digest.update(chunk)
        if response.status_code != 200 or digest.hexdigest() != big.sha256:
            raise RuntimeError(f"download through a killed worker: HTTP {response.status_code}")
        return f"workers {killed} killed mid-download: the download completed intact"

    def restart_postgres(self, down_for: float) -> str:
        """Stop PostgreSQL, check the portal says 503 meanwhile, start it again."""
        client = self.fault_client
        self.postgres.stop()
        started = time.monotonic()
        probe = client.session.get(f"{self.url}/files/", timeout=30)
        time.sleep(max(0.0, down_for - (time.monotonic() - started)))
        self.postgres.start()
        if probe.status_code != 503 or "Retry-After" not in probe.headers:
            raise RuntimeError(f"with PostgreSQL down the portal said {probe.status_code}")
        return f"PostgreSQL down {down_for:.0f} s: the portal answered 503 with Retry-After"

    def stop_store(self, down_for: float) -> str:
        """Freeze the S3 store; an upload meanwhile must get a 503, then all works again."""
        if self.store is None:
            raise RuntimeError("no S3 store in this run")
        client = self.fault_client
        sample = Sample.write(self.samples, f"fault-s3-{secrets.token_hex(4)}.bin", 4096)
        self.store.pause()
        try:
            started = time.monotonic()
            refused = client.upload(sample)
            time.sleep(max(0.0, down_for - (time.monotonic() - started)))
        finally:
            self.store.resume()
        if refused.status_code != 503 or client.file_ids(sample.name):
            raise RuntimeError(f"with the store stopped an upload got {refused.status_code}")
        if client.upload(sample).status_code != 302:
            raise RuntimeError("the store is back, but an upload still fails")
        return f"S3 store stopped {down_for:.0f} s: an upload got 503, nothing kept; then 302"

    # -- the run -------------------------------------------------------------

    def go(self, clients: int, seconds: float, faults: list[Fault]) -> Results:
        """Load for `seconds`, or until RECOVERY_SECONDS after the last fault if later."""
        self.t0 = time.monotonic()
        stop = threading.Event()
        threads = [
            threading.Thread(target=LoadClient(self, i).loop, args=(stop,), daemon=True)
            for i in range(clients)
        ]
        for thread in threads:
            thread.start()
        for fault in sorted(faults, key=lambda f: f.at):
            time.sleep(max(0.0, self.t0 + fault.at - time.monotonic()))
            fault.started = time.monotonic() - self.t0
            try:
                fault.result = fault.action()
            except Exception as error:  # noqa: BLE001 - reported as a failed fault
                fault.result = f"FAILED: {error}"
            fault.ended = time.monotonic() - self.t0
        # The clients go on after the last fault: recovering is part of the test.
        last = max((fault.ended + RECOVERY_SECONDS for fault in faults), default=0.0)
        time.sleep(max(0.0, self.t0 + max(seconds, last) - time.monotonic()))
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - self.t0
        results = Results(elapsed, clients, list(self._outcomes), faults, list(self._uploads))
        results.problems = self.verify(results)
        return results

    def verify(self, results: Results) -> list[str]:
        """Every acknowledged upload in the database with its sha256, the fsck clean."""
        problems = [f"fault {f.name}: {f.result}" for f in results.faults if "FAILED" in f.result]
        with psycopg.connect(f"{self.postgres.url}/portal") as db:
            # A delete sends to the trash: the row stays, out of the owner's files.
            query = "SELECT name, sha256 FROM files_uploadedfile WHERE trashed_at IS NULL"
            rows: dict[str, str] = dict(db.execute(query).fetchall())
        lost, results.silent_deletes = compare(results.uploads, rows)
        problems += lost
        # An upload refused while the store was stopped may land in the bucket
        # once it resumes (the store finishes a PUT its client gave up on): an
        # orphan, no row. `--repair` removes those; with nothing in flight now,
        # of any age. Any other finding is damage.
        found = self.manage("portal_fsck").stdout.splitlines()
        results.leftovers = [line for line in found if line.startswith("orphan")]
        problems += [f"fsck: {line}" for line in found if line.startswith(DAMAGE)]
        self.manage("portal_fsck", "--repair", "--orphan-age", "0")
        fsck = self.manage("portal_fsck")
        if fsck.returncode != 0:
            problems.append(f"fsck after --repair: {fsck.stdout}{fsck.stderr}".strip())
        return problems


def compare(uploads: list[Acknowledged], rows: dict[str, str]) -> tuple[list[str], int]:
    """What the clients were told against the rows (name: sha256) after the run.

    Returns the problems, and how many deletes without an answer had removed
    their file: those may be there or not, but if there, intact.
    """
    problems = []
    silent_deletes = 0
    for upload in uploads:
        if upload.deleted and upload.name in rows:
            problems.append(f"{upload.name}: deleted (302) but still there")
        elif upload.maybe_deleted and upload.name not in rows:
            silent_deletes += 1
        elif not upload.deleted and rows.get(upload.name) != upload.sha256:
            problems.append(f"{upload.name}: acknowledged but missing or changed")
    return problems, silent_deletes


def standard_faults(run: LoadRun, seconds: float, down_for: float) -> list[Fault]:
    """A worker killed mid-upload, then mid-download, PostgreSQL restarted, the store stopped."""
    # A response the killed worker was writing is cut off (status 0 here): once
    # nginx has passed its headers on, no 503 can replace it. A browser shows a
    # network error; the retry works. Counted apart in the report.
    killed = {kind: frozenset({0, 503}) for kind in MIX}
    faults = [
        Fault("kill mid-upload", seconds * 0.2, run.kill_mid_upload, killed),
        Fault("kill mid-download", seconds * 0.35, run.kill_mid_download, killed),
        Fault("restart PostgreSQL", seconds * 0.5, lambda: run.restart_postgres(down_for)),
    ]
    if run.store is not None:
        # Downloads come from the store through nginx, which says 502 or 504.
        store_down = {"download": frozenset({502, 503, 504})}
        faults.append(
            Fault("stop S3", seconds * 0.65, lambda: run.stop_store(down_for), store_down)
        )
    return faults


def report(results: Results) -> str:
    errors = results.errors()
    refused: dict[int | str, int] = defaultdict(int)
    for outcome in results.refused():
        refused[outcome.status or "cut off"] += 1
    lines = [
        f"{results.clients} clients for {results.seconds:.0f} s: {len(results.outcomes)} "
        f"requests, {len(errors)} errors, refusals during faults {dict(refused)}, "
        f"{len(results.uploads)} acknowledged uploads, "
        f"{sum(u.maybe_deleted for u in results.uploads)} deletes without an answer "
        f"({results.silent_deletes} of which had removed the file), "
        f"{len(results.leftovers)} orphans of refused uploads removed by fsck --repair",
        "",
        results.table(),
        "",
    ]
    for fault in results.faults:
        lines.append(f"- {fault.started:5.1f}-{fault.ended:5.1f} s {fault.name}: {fault.result}")
    for error in errors[:20]:
        lines.append(f"error: {error}")
    # What happened to each file an error or a problem names, in order.
    named = {o.target for o in errors} | {p.split(":")[0] for p in results.problems}
    for outcome in results.outcomes:
        if outcome.target and outcome.target in named:
            lines.append(f"history of {outcome.target}: {outcome}")
    lines += [f"problem: {problem}" for problem in results.problems]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--no-faults", action="store_true")
    args = parser.parse_args(argv)
    reason = seaweedfs.unavailable()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="portal-load-") as tmp:
        with SeaweedFS(Path(tmp) / "seaweedfs") as store:
            with LoadRun(Path(tmp), store=store, bucket=store.bucket).running() as run:
                faults = [] if args.no_faults else standard_faults(run, args.seconds, 3.0)
                results = run.go(args.clients, args.seconds, faults)
    print(report(results))
    return 1 if results.errors() or results.problems else 0


if __name__ == "__main__":
    sys.exit(main())
