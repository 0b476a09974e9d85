"""What a worker imports: pages and downloads load neither the API's stack nor WebDAV's.

DRF, drf-spectacular and (through DRF) psycopg are 22 MiB, wsgidav 4 MiB,
boto3 10 MiB a worker (docs/performance.md, "Worker memory"). The requests run in a fresh
interpreter that imports portal.wsgi as a gunicorn worker does, against this
test's database; the API and WebDAV requests at the end show that the check
sees an import when one happens.
"""

from __future__ import annotations

import json
import subprocess
import sys
from base64 import b64encode
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from accounts import tokens
from accounts.models import User
from files.uploads import intake
from tests.tooling import scrubbed_env

BASE_DIR = Path(__file__).resolve().parents[2]

# Calls portal.wsgi's application with each request of argv[1] (a JSON list of
# [method, path, headers]) and prints, after each, its status and which of
# argv[2] (module names) are imported.
PROBE = """
import io, json, sys
from portal.wsgi import application

requests, watched = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for method, path, headers in requests:
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
        "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
        **headers,
    }
    statuses = []
    body = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(body)
    getattr(body, "close", lambda: None)()
    imported = [name for name in watched if name in sys.modules]
    print(json.dumps([method, path, int(statuses[0].split()[0]), imported]))
"""


def database_url() -> str:
    """This test's database, for the fresh interpreter."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    user = f"{database['USER']}:{database['PASSWORD']}@" if database["USER"] else ""
    host = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    return f"postgres://{user}{host}/{database['NAME']}"


def run(code: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.django_db(transaction=True)  # committed: the other interpreter reads it
def test_pages_and_downloads_import_neither_the_api_nor_webdav(alice: User, tmp_path: Path):
    [stored] = intake.store_uploads(
        alice, [intake.describe_upload(SimpleUploadedFile("notes.txt", b"notes"), "notes.txt")]
    )
    client = Client()
    client.force_login(alice)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    _, token = tokens.create_token(alice, "probe")
    basic = b64encode(f"alice:{token}".encode()).decode()
    env = scrubbed_env(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=database_url(),
        SECRET_KEY=settings.SECRET_KEY,  # the session's hash is keyed with it
        ALLOWED_HOSTS="127.0.0.1",
        PORTAL_VAR_DIR=str(tmp_path / "var"),
        PORTAL_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        PORTAL_STATIC_ROOT=str(tmp_path / "static"),
        PORTAL_SENDFILE="nginx",
    )
    # Pages link the static files by their hashed names: the manifest must exist.
    run(
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('collectstatic', interactive=False, verbosity=0)",
        env=env,
    )
    api_stack = ["rest_framework", "drf_spectacular.openapi", "files.api.urls"]
    dav_stack = ["wsgidav", "files.dav.app"]
    # psycopg comes with DRF (rest_framework.compat), even on SQLite.
    driver = ["psycopg"] if connection.vendor == "sqlite" else []
    # The object store's client (10 MiB), on local storage: never, by any request.
    store = ["boto3", "botocore"]
    download = stored.get_download_url()
    requests = [
        ("GET", "/files/", {"HTTP_COOKIE": cookie}),
        ("GET", "/accounts/login/", {}),
        ("GET", download, {"HTTP_COOKIE": cookie}),  # answered by portal.fastpath
        ("HEAD", download, {"HTTP_COOKIE": cookie}),  # by Django's view
        ("GET", "/api/v1/files/", {"HTTP_AUTHORIZATION": f"Bearer {token}"}),
        ("PROPFIND", "/dav/", {"HTTP_AUTHORIZATION": f"Basic {basic}", "HTTP_DEPTH": "1"}),
    ]
    watched = api_stack + dav_stack + driver + store
    result = run(PROBE, json.dumps(requests), json.dumps(watched), env=env)
    answers = [json.loads(line) for line in result.stdout.splitlines()]

    assert [(method, path, status) for method, path, status, _ in answers] == [
        ("GET", "/files/", 200),
        ("GET", "/accounts/login/", 200),
        ("GET", download, 200),
        ("HEAD", download, 200),
        ("GET", "/api/v1/files/", 200),
        ("PROPFIND", "/dav/", 207),
    ]
    *browser, after_api, after_dav = [imported for *_, imported in answers]
    assert browser == [[], [], [], []]
    assert after_api == api_stack + driver
    assert after_dav == api_stack + dav_stack + driver


def test_the_system_checks_still_import_and_check_the_api_urls(tmp_path: Path):
    env = scrubbed_env(DJANGO_SETTINGS_MODULE="portal.settings", PORTAL_VAR_DIR=str(tmp_path))
    result = run(
        "import sys, django; django.setup()\n"
        "from django.core.management import call_command\n"
        "assert 'files.api.urls' not in sys.modules\n"
        "call_command('check')\n"
        "print([name for name in ('files.api.urls', 'rest_framework') if name in sys.modules])",
        env=env,
    )
    assert result.stdout.splitlines()[-1] == "['files.api.urls', 'rest_framework']"
