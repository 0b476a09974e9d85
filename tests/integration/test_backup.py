"""Backup and restore as README "Backup and restore" tells it, proved complete by the fsck.

SQLite: `sqlite3 <db> ".backup <file>"` (the online backup API: a consistent
copy while Portal runs). PostgreSQL: `pg_dump -Fc`, then `pg_restore` into a
scratch database. Storage: copied after the database, never before.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.stack import REPO_DIR
from tests.availability import skip_or_fail
from tests.integration.support import base_env, manage
from tests.tooling import postgres_unavailable, scratch_database

pytestmark = pytest.mark.integration

_ADD_FILES = """
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from files.uploads import intake
for name in ("alice", "bob"):
    user = get_user_model().objects.create_user(name, password="a long passphrase")
    for i in range(3):
        content = SimpleUploadedFile(f"{name}-{i}.txt", f"{name} {i} ".encode() * 1000)
        intake.store_uploads(user, [intake.describe_upload(content, content.name)])
"""


def needs(*binaries: str) -> None:
    for binary in binaries:
        if shutil.which(binary) is None:
            skip_or_fail(f"{binary} is not installed (see .ci/run)")


def fsck(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "portal_fsck"],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_storage(source: Path, target: Path) -> None:
    # `cp -a`, as the README has it: keeps modes and times (the fsck's orphan age).
    subprocess.run(["cp", "-a", f"{source}/.", str(target)], check=True)


def portal(root: Path, database_url: str) -> dict[str, str]:
    env = base_env(root, DATABASE_URL=database_url)
    for directory in ("PORTAL_MEDIA_ROOT", "PORTAL_UPLOAD_TEMP_DIR"):
        Path(env[directory]).mkdir(parents=True)
    return env


def test_sqlite_backup_and_restore(tmp_path: Path) -> None:
    needs("sqlite3", "cp")
    live = portal(tmp_path / "live", f"sqlite:///{tmp_path / 'live' / 'db.sqlite3'}")
    manage(live, "migrate", "--noinput")
    manage(live, "shell", "-c", _ADD_FILES)
    backup = tmp_path / "backup"
    (backup / "media").mkdir(parents=True)

    # Back up: the database first, then the storage.
    subprocess.run(
        ["sqlite3", str(tmp_path / "live" / "db.sqlite3"), f".backup {backup / 'db.sqlite3'}"],
        check=True,
    )
    copy_storage(Path(live["PORTAL_MEDIA_ROOT"]), backup / "media")
    shutil.rmtree(tmp_path / "live")  # the machine is lost

    restored_db = tmp_path / "restored" / "db.sqlite3"
    restored = portal(tmp_path / "restored", f"sqlite:///{restored_db}")
    shutil.copy2(backup / "db.sqlite3", restored_db)
    copy_storage(backup / "media", Path(restored["PORTAL_MEDIA_ROOT"]))

    result = fsck(restored)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 rows, 6 stored objects: 0 problems" in result.stdout


def test_an_incomplete_restore_is_caught_by_the_fsck(tmp_path: Path) -> None:
    needs("sqlite3")
    live = portal(tmp_path / "live", f"sqlite:///{tmp_path / 'live' / 'db.sqlite3'}")
    manage(live, "migrate", "--noinput")
    manage(live, "shell", "-c", _ADD_FILES)
    # Storage restored without one user's directory.
    [bob_dir] = [d for d in (Path(live["PORTAL_MEDIA_ROOT"]) / "u").iterdir() if d.name == "2"]
    shutil.rmtree(bob_dir)

    result = fsck(live)

    assert result.returncode == 1
    assert result.stdout.count("missing") == 3
    # The three missing files, and bob's quota drift they cause.
    assert "6 rows, 3 stored objects: 4 problems, 0 repaired" in result.stderr


def test_postgresql_backup_and_restore(tmp_path: Path) -> None:
    needs("pg_dump", "pg_restore", "cp")
    reason = postgres_unavailable()
    if reason:
        skip_or_fail(reason)
    dump = tmp_path / "portal.dump"
    backup_media = tmp_path / "backup-media"
    backup_media.mkdir()
    with scratch_database() as live_url:
        live = portal(tmp_path / "live", live_url)
        manage(live, "migrate", "--noinput")
        manage(live, "shell", "-c", _ADD_FILES)
        # Back up: the database first (one consistent snapshot), then the storage.
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", live_url], check=True)
        copy_storage(Path(live["PORTAL_MEDIA_ROOT"]), backup_media)

    with scratch_database() as restored_url:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored_url}", str(dump)],
            check=True,
        )
        restored = portal(tmp_path / "restored", restored_url)
        copy_storage(backup_media, Path(restored["PORTAL_MEDIA_ROOT"]))

        result = fsck(restored)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "6 rows, 6 stored objects: 0 problems" in result.stdout
        # The restored database is at the code's migration state.
        manage(restored, "migrate", "--check")
