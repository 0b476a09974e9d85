"""Settings come from the environment: check them in a fresh process each time."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.availability import skip_or_fail
from tests.tooling import scrubbed_env

BASE_DIR = Path(__file__).resolve().parents[2]


def run_django(code: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run `code` after django.setup() in a new interpreter with only `env` set."""
    clean = scrubbed_env(PORTAL_VAR_DIR=str(tmp_path / "var"), **env)
    clean["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def production_env() -> dict[str, str]:
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "portal.example.org",
        "PORTAL_HTTPS": "true",
        "PORTAL_SENDFILE": "nginx",
    }


def test_deploy_check_is_clean_with_production_values(tmp_path):
    result = run_django(
        "from django.core.management import call_command\n"
        "call_command('check', deploy=True, fail_level='WARNING')",
        production_env(),
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_deploy_check_is_clean_with_signed_urls(tmp_path):
    env = {**production_env(), "PORTAL_SIGNED_URL_SECRET": secrets.token_urlsafe(32)}
    result = run_django(
        "from django.core.management import call_command\n"
        "call_command('check', deploy=True, fail_level='WARNING')",
        env,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr


def test_deploy_check_warns_without_https(tmp_path):
    env = production_env()
    del env["PORTAL_HTTPS"]
    result = run_django(
        "from django.core.management import call_command\n"
        "call_command('check', deploy=True, fail_level='WARNING')",
        env,
        tmp_path,
    )
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr


def test_debug_is_off_unless_asked_for(tmp_path):
    result = run_django("from django.conf import settings; print(settings.DEBUG)", {}, tmp_path)
    assert result.stdout.strip() == "False", result.stderr


def test_dev_secret_key_is_generated_once(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = run_django(code, {}, tmp_path)
    second = run_django(code, {}, tmp_path)
    assert first.returncode == 0, first.stderr
    assert len(first.stdout.strip()) >= 50
    assert first.stdout == second.stdout
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0


def test_defaults_are_sqlite_and_local_media(tmp_path):
    result = run_django(
        "from django.conf import settings\n"
        "print(settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'])\n"
        "print(settings.STORAGES['default']['BACKEND'], settings.MEDIA_ROOT)\n"
        "print(settings.PORTAL_SENDFILE, settings.PORTAL_MAX_UPLOAD_SIZE)",
        {},
        tmp_path,
    )
    db, storage, sendfile = result.stdout.splitlines()
    assert db == f"django.db.backends.sqlite3 {tmp_path / 'var' / 'db.sqlite3'}"
    assert storage == f"django.core.files.storage.FileSystemStorage {BASE_DIR / 'media'}"
    assert sendfile == f"django {2 * 1024**3}"


def test_database_url_selects_postgresql(tmp_path):
    result = run_django(
        "from django.conf import settings; d = settings.DATABASES['default']\n"
        "print(d['ENGINE'], d['HOST'], d['PORT'], d['NAME'], d['USER'])",
        {"DATABASE_URL": "postgres://portal@db.internal:5433/portal"},
        tmp_path,
    )
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "db.internal",
        "5433",
        "portal",
        "portal",
    ]


@pytest.mark.parametrize(
    ("threshold", "options"), [("", "{}"), ("0", "{}"), ("5", "{'prepare_threshold': 5}")]
)
def test_a_prepare_threshold_is_set_only_when_asked_for(tmp_path, threshold, options):
    result = run_django(
        "from django.conf import settings\nprint(settings.DATABASES['default'].get('OPTIONS', {}))",
        {
            "DATABASE_URL": "postgres://portal@db.internal:5433/portal",
            "DATABASE_PREPARE_THRESHOLD": threshold,
        },
        tmp_path,
    )
    assert result.stdout.strip() == options, result.stderr


def test_a_prepare_threshold_that_is_not_a_number_is_refused(tmp_path):
    result = run_django(
        "",
        {
            "DATABASE_URL": "postgres://portal@db.internal:5433/portal",
            "DATABASE_PREPARE_THRESHOLD": "yes",
        },
        tmp_path,
    )
    assert result.returncode != 0
    assert "DATABASE_PREPARE_THRESHOLD='yes'" in result.stderr


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_redis_url_puts_cache_and_sessions_in_redis(tmp_path):
    if not _redis_answers():
        skip_or_fail("no Redis answers on 127.0.0.1:6379")
    key = f"portal-test-{secrets.token_hex(8)}"
    result = run_django(
        "from django.conf import settings; from django.core.cache import cache\n"
        f"cache.set('{key}', 'stored', 30); print(cache.get('{key}')); cache.delete('{key}')\n"
        "print(settings.SESSION_ENGINE)",
        {"REDIS_URL": "redis://127.0.0.1:6379/1"},
        tmp_path,
    )
    assert result.stdout.split() == ["stored", "django.contrib.sessions.backends.cached_db"], (
        result.stderr
    )


@pytest.mark.parametrize(
    ("env", "error_id"),
    [
        ({"PORTAL_SENDFILE": "lighttpd-ish"}, "files.E001"),
        ({"PORTAL_STORAGE": "ftp"}, "files.E002"),
        ({"PORTAL_STORAGE": "s3", "PORTAL_SENDFILE": "apache"}, "files.E003"),
        ({"PORTAL_S3_REDIRECT": "1"}, "files.E008"),
        ({"PORTAL_STORAGE": "s3", "PORTAL_S3_TIMEOUT": "0"}, "files.E009"),
        ({"PORTAL_SENDFILE": "nginx", "PORTAL_SIGNED_URL_SECRET": "short"}, "files.E005"),
        ({"PORTAL_SENDFILE": "apache", "PORTAL_SIGNED_URL_SECRET": "s" * 40}, "files.E006"),
    ],
)
def test_check_refuses_a_serving_setup_that_cannot_work(tmp_path, env, error_id):
    result = run_django(
        "from django.core.management import call_command; call_command('check')", env, tmp_path
    )
    assert result.returncode != 0
    assert error_id in result.stderr


def test_check_refuses_a_non_ascii_media_root_for_apache(tmp_path):
    env = {"PORTAL_SENDFILE": "apache", "PORTAL_MEDIA_ROOT": str(tmp_path / "médias")}
    result = run_django(
        "from django.core.management import call_command; call_command('check')", env, tmp_path
    )
    assert result.returncode != 0
    assert "files.E004" in result.stderr
