"""Dev and test tooling, one copy each: the tests, `make bench` and `make load` import it.

- :func:`scrubbed_env`: the environment a stack or a settings probe starts from,
  without the Portal settings a developer's shell may carry;
- :class:`MultipartBody`: an upload body streamed from disk, its length known;
- :class:`Sample`: a file on the test machine with its size and sha256;
- :class:`PortalClient`: Portal over HTTP as a browser uses it (login, upload,
  find, download, delete);
- :func:`scratch_database` on the machine's PostgreSQL, and
  :class:`PrivatePostgres`, a cluster of our own that a fault test may restart.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests

from deploy.stack import free_port, let_others_search
from files.uploads.handler import TEMP_FILE_PREFIX

CHUNK = 1024 * 1024

# Every variable portal/settings.py reads (prefixes and names), so that nothing
# of the developer's own setup (a real database, S3 keys, a secret) reaches a
# stack or a settings probe. tests/test_tooling.py checks this against settings.py.
FOREIGN_PREFIXES = ("PORTAL_", "DJANGO_", "AWS_", "SECURE_")
FOREIGN_NAMES = frozenset(
    {
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "DATABASE_URL",
        "DATABASE_CONN_MAX_AGE",
        "DATABASE_PREPARE_THRESHOLD",
        "CACHE_URL",
        "REDIS_URL",
        "LOG_LEVEL",
        "TIME_ZONE",
    }
)

_DOWNLOAD_HREF = re.compile(r'href="/files/([0-9a-f-]{36})/download/"')


def download_ids(page: str) -> list[str]:
    """The ids of the files a list page links to, in order, once each."""
    return list(dict.fromkeys(_DOWNLOAD_HREF.findall(page)))


def is_foreign(name: str) -> bool:
    return name.startswith(FOREIGN_PREFIXES) or name in FOREIGN_NAMES


def scrubbed_env(**overrides: str) -> dict[str, str]:
    """os.environ without any Portal setting, plus `overrides`."""
    env = {name: value for name, value in os.environ.items() if not is_foreign(name)}
    env.update(overrides)
    return env


@dataclass
class Sample:
    """A file on the test machine, with what it should look like after a round trip."""

    name: str
    path: Path
    size: int
    sha256: str

    @classmethod
    def write(cls, directory: Path, name: str, size: int) -> Sample:
        path = directory / f"{hashlib.sha256(name.encode()).hexdigest()[:16]}.bin"
        digest = hashlib.sha256()
        with path.open("wb") as out:
            remaining = size
            while remaining:
                chunk = os.urandom(min(CHUNK, remaining))
                digest.update(chunk)
                out.write(chunk)
                remaining -= len(chunk)
        return cls(name=name, path=path, size=size, sha256=digest.hexdigest())

    @classmethod
    def of(cls, path: Path) -> Sample:
        """A file that exists already, uploaded under its own name."""
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
        return cls(path.name, path, path.stat().st_size, digest.hexdigest())


class MultipartBody:
    """A multipart/form-data body read from disk piece by piece, its length known.

    Given `files=`, requests builds the whole body in memory (1 GiB in the
    bench); given an object with read() and __len__, it sends Content-Length,
    as a browser does, and streams.
    """

    def __init__(self, fields: Mapping[str, str], files: list[tuple[str, Path]]) -> None:
        self.boundary = f"portal-{secrets.token_hex(16)}"
        parts: list[bytes | Path] = []
        for name, value in fields.items():
            parts.append(self._head(f'name="{name}"') + value.encode() + b"\r\n")
        for filename, path in files:
            # Django unescapes \" and \\ in a quoted filename; raw UTF-8 is what browsers send.
            quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
            head = self._head(f'name="file"; filename="{quoted}"', "application/octet-stream")
            parts += [head, path, b"\r\n"]
        parts.append(f"--{self.boundary}--\r\n".encode())
        self._parts = parts
        self._length = sum(p.stat().st_size if isinstance(p, Path) else len(p) for p in parts)
        self._reader: Iterator[bytes] = self._chunks()
        self._pending = b""

    def _head(self, disposition: str, content_type: str | None = None) -> bytes:
        lines = [f"--{self.boundary}", f"Content-Disposition: form-data; {disposition}"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self._length

    def _chunks(self) -> Iterator[bytes]:
        for part in self._parts:
            if isinstance(part, bytes):
                yield part
                continue
            with part.open("rb") as stream:
                while chunk := stream.read(CHUNK):
                    yield chunk

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self._pending + b"".join(self._reader)
        while len(self._pending) < size:
            chunk = next(self._reader, b"")
            if not chunk:
                break
            self._pending += chunk
        data, self._pending = self._pending[:size], self._pending[size:]
        return data


class LoginFailed(RuntimeError):
    pass


@dataclass
class Download:
    response: requests.Response
    size: int
    sha256: str
    # The first MiB, enough for the slices the Range tests ask for.
    head: bytes

    @property
    def headers(self) -> requests.structures.CaseInsensitiveDict[str]:
        return self.response.headers

    @property
    def status(self) -> int:
        return self.response.status_code

    @classmethod
    def read(cls, response: requests.Response) -> Download:
        """Stream a response's body to its end, hashing it and keeping its first MiB."""
        digest = hashlib.sha256()
        size = 0
        head = b""
        with response:
            for chunk in response.iter_content(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if len(head) < CHUNK:
                    head += chunk[: CHUNK - len(head)]
        return cls(response, size, digest.hexdigest(), head)


@contextmanager
def killing_the_worker_writing(
    temp_dir: Path, at_least: int = 0, timeout: float = 30
) -> Iterator[list[int]]:
    """While the block uploads, SIGKILL the worker whose upload temp file in `temp_dir`
    holds `at_least` bytes; yields the list its pid lands in (empty: the upload was quicker).

    The temp file's name carries the pid of the worker receiving it
    (files.uploads.handler.temp_file_prefix).
    """
    killed: list[int] = []
    done = threading.Event()

    def kill() -> None:
        deadline = time.monotonic() + timeout
        while not done.is_set() and time.monotonic() < deadline:
            for path in temp_dir.glob(f"{TEMP_FILE_PREFIX}*"):
                try:
                    if path.stat().st_size < at_least:
                        continue
                except FileNotFoundError:
                    continue
                pid = int(path.name[len(TEMP_FILE_PREFIX) :].split("-")[0])
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.001)

    killer = threading.Thread(target=kill)
    killer.start()
    try:
        yield killed
    finally:
        done.set()
        killer.join()


class PortalClient:
    """A requests session on one Portal URL, used as a browser uses the site."""

    def __init__(self, url: str, timeout: float = 300) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.timeout = timeout

    def login(self, username: str, password: str) -> PortalClient:
        """Sign in with the form (GET for the CSRF cookie, then POST); raise if refused."""
        login_url = f"{self.url}/accounts/login/"
        self.session.get(login_url, timeout=self.timeout).raise_for_status()
        response = self.session.post(
            login_url,
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": self.csrf_token,
            },
            headers={"Referer": login_url},
            allow_redirects=False,
            timeout=self.timeout,
        )
        if response.status_code != 302 or "sessionid" not in self.session.cookies:
            raise LoginFailed(f"login as {username} failed: HTTP {response.status_code}")
        return self

    @property
    def csrf_token(self) -> str:
        token = self.session.cookies.get("csrftoken")
        if token is None:
            raise LoginFailed("no csrftoken cookie: the login page was never fetched")
        return token

    def cookie_header(self) -> str:
        """The Cookie header another client (wrk) should send to act as this one."""
        return "; ".join(f"{name}={value}" for name, value in self.session.cookies.items())

    def upload(self, *files: Sample | Path) -> requests.Response:
        """POST files to /files/upload/ in one request; success is a 302 to the list."""
        pairs = [(f.name, f.path) if isinstance(f, Sample) else (f.name, f) for f in files]
        body = MultipartBody({"csrfmiddlewaretoken": self.csrf_token}, pairs)
        return self.session.post(
            f"{self.url}/files/upload/",
            data=body,
            headers={"Content-Type": body.content_type, "Referer": f"{self.url}/files/upload/"},
            allow_redirects=False,
            timeout=self.timeout,
        )

    def file_ids(self, name: str) -> list[str]:
        """The ids of the files whose names contain `name`, found as a person would: search."""
        page = self.session.get(f"{self.url}/files/", params={"q": name}, timeout=self.timeout)
        page.raise_for_status()
        return download_ids(page.text)

    def file_id(self, name: str) -> str:
        """The id of the one file called name."""
        ids = self.file_ids(name)
        if len(ids) != 1:
            raise LookupError(f"expected one file called {name!r}, found {ids}")
        return ids[0]

    def download(self, file_id: str, **headers: str) -> Download:
        response = self.session.get(
            f"{self.url}/files/{file_id}/download/",
            headers=headers,
            stream=True,
            allow_redirects=False,
            timeout=self.timeout,
        )
        return Download.read(response)

    def delete(self, file_id: str, *, forever: bool = False) -> requests.Response:
        """Send the file to the trash; `forever`: then delete it from the trash too."""
        response = self.post_form(f"/files/{file_id}/delete/")
        if forever and response.status_code == 302:
            return self.post_form(f"/files/{file_id}/purge/")
        return response

    def post_form(self, path: str) -> requests.Response:
        """A browser's POST of a form with nothing but its CSRF token."""
        return self.session.post(
            f"{self.url}{path}",
            data={"csrfmiddlewaretoken": self.csrf_token},
            headers={"Referer": f"{self.url}{path}"},
            allow_redirects=False,
            timeout=self.timeout,
        )


# -- PostgreSQL --------------------------------------------------------------

MACHINE_POSTGRES = "postgres://postgres@127.0.0.1:5432"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def postgres_unavailable(url: str = MACHINE_POSTGRES) -> str | None:
    """Why the machine's PostgreSQL cannot be used, or None."""
    try:
        psycopg.connect(f"{url}/postgres", connect_timeout=3).close()
    except psycopg.Error as error:
        return f"PostgreSQL at {url} does not answer: {error}"
    return None


@contextmanager
def scratch_database(server: str = MACHINE_POSTGRES) -> Iterator[str]:
    """A new, empty database on `server`, dropped afterwards; yields its URL.

    Its own name each time: six checkouts may test on one machine's server.
    """
    name = f"portal_scratch_{secrets.token_hex(6)}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            # FORCE: a gunicorn killed uncleanly may leave a session behind.
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb in a temp dir, a free port), to restart at will.

    Never the machine's own server: a fault test stops and starts this one.
    As root, the cluster belongs to the `postgres` OS user (initdb refuses root).
    """

    directory: Path
    port: int = 0

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"

    @staticmethod
    def unavailable() -> str | None:
        if not (PG_BIN / "initdb").exists():
            return f"{PG_BIN}/initdb is missing (apt-get install postgresql-15)"
        return None

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", *args)

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def start(self) -> None:
        """initdb on first use, then start and wait until it accepts connections."""
        if not self.data.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.directory, "postgres", "postgres")
                let_others_search([self.directory])
            self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust")
            self.port = self.port or free_port()
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c full_page_writes=off"
        )
        self._pg_ctl("-o", options, "-l", str(self.directory / "postgres.log"), "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "stop")

    def restart(self, down_for: float = 0.0) -> None:
        """Stop (dropping every connection), stay down `down_for` seconds, start again."""
        self.stop()
        time.sleep(down_for)
        self.start()
