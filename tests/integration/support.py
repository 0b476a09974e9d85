"""Helpers for the integration tests: a real stack with its users, and what it stored.

The HTTP client and the samples are in tests/tooling.py, shared with the bench."""

from __future__ import annotations

import re
import secrets
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import psycopg

from deploy.stack import REPO_DIR, Server, Stack, unavailable
from tests.availability import skip_or_fail
from tests.tooling import PortalClient, scrubbed_env

PASSWORD = "a long and unguessable passphrase"
USERS = ("alice", "bob")

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
    defaults = {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}",
        "PORTAL_VAR_DIR": str(root / "var"),
        "PORTAL_MEDIA_ROOT": str(root / "media"),
        "PORTAL_STATIC_ROOT": str(root / "static"),
        "PORTAL_UPLOAD_TEMP_DIR": str(root / "upload-tmp"),
        "PORTAL_STORAGE": "local",
        # Short, so a front server left waiting on gunicorn for bytes that
        # never come logs it within seconds (test_downloads); above Apache's
        # one-second ttl, as in production (test_proxy_connections).
        "GUNICORN_KEEPALIVE": "2",
    }
    return scrubbed_env(**{**defaults, **overrides})


def manage(env: Mapping[str, str], *args: str) -> str:
    """Run a manage.py command on a stack's data (its env); what it printed."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_DIR,
        env=dict(env),
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


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
    app_servers: int = 1
    stack: Stack = field(init=False)

    def __post_init__(self) -> None:
        self.stack = Stack(
            server=self.server,
            base_dir=self.root / "stack",
            media_root=self.media_root,
            static_root=Path(self.env["PORTAL_STATIC_ROOT"]),
            max_upload_size=self.max_upload_size,
            env=self.manage_env,
            workers=2,
            worker=self.worker,
            app_servers=self.app_servers,
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

    @property
    def manage_env(self) -> dict[str, str]:
        """What gunicorn runs with, for manage.py commands on this stack's data."""
        return {**self.env, "PORTAL_MEDIA_ROOT": str(self.media_root)}

    def start(self) -> None:
        self.upload_temp_dir.mkdir(parents=True, exist_ok=True)
        manage(self.manage_env, "shell", "-c", _SETUP_DB)
        self.stack.start()

    def fsck(self, *args: str) -> subprocess.CompletedProcess[str]:
        """manage.py portal_fsck on this stack's database and storage; never raises."""
        return subprocess.run(
            [sys.executable, "manage.py", "portal_fsck", *args],
            cwd=REPO_DIR,
            env=self.stack.gunicorn_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )

    def login(self, username: str) -> PortalClient:
        return PortalClient(self.url).login(username, PASSWORD)

    def media_files(self) -> set[Path]:
        return {path for path in self.media_root.rglob("*") if path.is_file()}

    def temp_files(self) -> set[Path]:
        """Leftovers of uploads: Django's temp files and nginx's request bodies."""
        dirs = [self.upload_temp_dir, self.stack.temp_dir]
        return {path for d in dirs if d.exists() for path in d.rglob("*") if path.is_file()}

    def row_count(self) -> int:
        url = self.env["DATABASE_URL"]
        if url.startswith("postgres"):
            with psycopg.connect(url) as db:
                row = db.execute("SELECT COUNT(*) FROM files_uploadedfile").fetchone()
                assert row is not None
                return row[0]
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM files_uploadedfile").fetchone()[0]

    def gunicorn_log(
        self, path_fragment: str, timeout: float = 5.0, app_server: str = "gunicorn"
    ) -> list[str]:
        """An app server's access-log lines for a path (written just after answering)."""
        return _lines(self.stack.access_log(app_server), path_fragment, timeout)

    def upstreams(self, path_fragment: str, timeout: float = 5.0) -> list[str]:
        """The app servers nginx sent a path to (`upstream=` of its access log)."""
        lines = _lines(self.stack.logs / "nginx-access.log", path_fragment, timeout)
        return [line.rsplit("upstream=", 1)[1] for line in lines]

    def front_errors(self) -> list[str]:
        log = self.stack.logs / f"{self.server}-error.log"
        if not log.exists():
            return []
        # nginx: "[error]"; Apache: "[proxy_http:error]", "[:error]".
        severe = re.compile(r"\[[\w]*:?(error|crit|alert|emerg)\]")
        return [line for line in log.read_text().splitlines() if severe.search(line)]


def _lines(log: Path, fragment: str, timeout: float) -> list[str]:
    """The lines of `log` holding `fragment`, waiting up to `timeout` seconds for one."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in log.read_text().splitlines() if fragment in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def disposition_filename(header: str) -> str:
    """The filename a browser would take from Content-Disposition (filename* wins)."""
    extended = re.search(r"filename\*=utf-8''([^;\s]+)", header, re.IGNORECASE)
    if extended:
        return unquote(extended.group(1), errors="strict")
    quoted = re.search(r'filename="((?:[^"\\]|\\.)*)"', header)
    assert quoted, f"no filename in {header!r}"
    return re.sub(r"\\(.)", r"\1", quoted.group(1))
