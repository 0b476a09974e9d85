"""Helpers for the integration tests: a real stack, a signed-in HTTP client, samples."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import requests

from deploy.stack import REPO_DIR, Server, Stack, unavailable
from tests.availability import skip_or_fail

PASSWORD = "a long and unguessable passphrase"
USERS = ("alice", "bob")
CHUNK = 1024 * 1024

# The settings a developer's shell may carry that must not leak into a stack.
_FOREIGN_ENV = re.compile(r"^(PORTAL_|DATABASE_URL$|CACHE_URL$|REDIS_URL$|AWS_|DEBUG$)")

_SETUP_DB = f"""
from django.contrib.auth import get_user_model
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
for name in {USERS!r}:
    get_user_model().objects.create_user(name, password={PASSWORD!r})
"""


def require(server: Server) -> None:
    reason = unavailable(server)
    if reason:
        skip_or_fail(reason)


def base_env(root: Path, **overrides: str) -> dict[str, str]:
    """The environment of one stack: its own database, media, temp dirs and key."""
    env = {key: value for key, value in os.environ.items() if not _FOREIGN_ENV.match(key)}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{root / 'db.sqlite3'}",
        PORTAL_VAR_DIR=str(root / "var"),
        PORTAL_MEDIA_ROOT=str(root / "media"),
        PORTAL_STATIC_ROOT=str(root / "static"),
        PORTAL_UPLOAD_TEMP_DIR=str(root / "upload-tmp"),
        PORTAL_STORAGE="local",
        # Apache keeps connections to gunicorn open; a short keep-alive makes
        # a connection left in a bad state show up in the error log quickly.
        GUNICORN_KEEPALIVE="1",
    )
    env.update(overrides)
    return env


def manage(env: Mapping[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_DIR,
        env=dict(env),
        check=True,
        capture_output=True,
    )


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


class MultipartBody:
    """A multipart/form-data body read from disk piece by piece, its length known.

    Given `files=`, requests builds the whole body in memory (200 MB here); given
    an object with read() and __len__, it sends Content-Length and streams.
    """

    def __init__(self, fields: Mapping[str, str], files: Sequence[tuple[str, Path]]) -> None:
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


@dataclass
class Client:
    """A requests session signed in to a stack."""

    url: str
    session: requests.Session

    @property
    def csrf_token(self) -> str:
        token = self.session.cookies.get("csrftoken")
        assert token is not None, "no csrftoken cookie: the login page was never fetched"
        return token

    def upload(self, *samples: Sample) -> requests.Response:
        body = MultipartBody(
            {"csrfmiddlewaretoken": self.csrf_token}, [(s.name, s.path) for s in samples]
        )
        return self.session.post(
            f"{self.url}/files/upload/",
            data=body,
            headers={"Content-Type": body.content_type, "Referer": f"{self.url}/files/upload/"},
            allow_redirects=False,
            timeout=300,
        )

    def file_id(self, name: str) -> str:
        """The id of the one file called name, found the way a person would: search."""
        page = self.session.get(f"{self.url}/files/", params={"q": name}, timeout=30)
        page.raise_for_status()
        ids = re.findall(r'href="/files/([0-9a-f-]{36})/download/"', page.text)
        assert len(ids) == 1, f"expected one file called {name!r}, found {ids}"
        return ids[0]

    def download(self, file_id: str, **headers: str) -> Download:
        response = self.session.get(
            f"{self.url}/files/{file_id}/download/",
            headers=headers,
            stream=True,
            allow_redirects=False,
            timeout=300,
        )
        digest = hashlib.sha256()
        size = 0
        head = b""
        with response:
            for chunk in response.iter_content(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if len(head) < CHUNK:
                    head += chunk[: CHUNK - len(head)]
        return Download(response, size, digest.hexdigest(), head)


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


@dataclass
class PortalStack:
    """gunicorn + nginx or Apache, each with its own database, media and temp dirs."""

    server: Server
    root: Path
    env: dict[str, str]
    max_upload_size: int
    media_root: Path
    # Run the background task worker too (thumbnails), as `make serve` does.
    worker: bool = False
    stack: Stack = field(init=False)

    def __post_init__(self) -> None:
        self.stack = Stack(
            server=self.server,
            base_dir=self.root / "stack",
            media_root=self.media_root,
            static_root=Path(self.env["PORTAL_STATIC_ROOT"]),
            max_upload_size=self.max_upload_size,
            env={**self.env, "PORTAL_MEDIA_ROOT": str(self.media_root)},
            workers=2,
            worker=self.worker,
        )

    @property
    def url(self) -> str:
        return self.stack.url

    @property
    def upload_temp_dir(self) -> Path:
        return Path(self.env["PORTAL_UPLOAD_TEMP_DIR"])

    @property
    def db_path(self) -> Path:
        return self.root / "db.sqlite3"

    def start(self) -> None:
        self.upload_temp_dir.mkdir(parents=True, exist_ok=True)
        manage({**self.env, "PORTAL_MEDIA_ROOT": str(self.media_root)}, "shell", "-c", _SETUP_DB)
        self.stack.start()

    def login(self, username: str) -> Client:
        session = requests.Session()
        login_url = f"{self.url}/accounts/login/"
        session.get(login_url, timeout=30).raise_for_status()
        response = session.post(
            login_url,
            data={
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            headers={"Referer": login_url},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, f"login as {username} failed: {response.status_code}"
        return Client(self.url, session)

    def media_files(self) -> set[Path]:
        return {path for path in self.media_root.rglob("*") if path.is_file()}

    def temp_files(self) -> set[Path]:
        """Leftovers of uploads: Django's temp files and nginx's request bodies."""
        dirs = [self.upload_temp_dir, self.stack.temp_dir]
        return {path for d in dirs if d.exists() for path in d.rglob("*") if path.is_file()}

    def row_count(self) -> int:
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM files_uploadedfile").fetchone()[0]

    def gunicorn_log(self, path_fragment: str, timeout: float = 5.0) -> list[str]:
        """Gunicorn's access-log lines for a path (it may write them just after answering)."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.stack.gunicorn_access_log
            lines = [line for line in log.read_text().splitlines() if path_fragment in line]
            if lines or time.monotonic() > deadline:
                return lines
            time.sleep(0.1)

    def front_errors(self) -> list[str]:
        log = self.stack.logs / f"{self.server}-error.log"
        if not log.exists():
            return []
        # nginx: "[error]"; Apache: "[proxy_http:error]", "[:error]".
        severe = re.compile(r"\[[\w]*:?(error|crit|alert|emerg)\]")
        return [line for line in log.read_text().splitlines() if severe.search(line)]


def disposition_filename(header: str) -> str:
    """The filename a browser would take from Content-Disposition (filename* wins)."""
    extended = re.search(r"filename\*=utf-8''([^;\s]+)", header, re.IGNORECASE)
    if extended:
        return unquote(extended.group(1), errors="strict")
    quoted = re.search(r'filename="((?:[^"\\]|\\.)*)"', header)
    assert quoted, f"no filename in {header!r}"
    return re.sub(r"\\(.)", r"\1", quoted.group(1))
