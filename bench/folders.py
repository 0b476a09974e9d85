"""Folder and search pages of a big account: server time and SQL queries.

``python -m bench.folders`` (or ``python -m bench.run --only folders``) fills
a throwaway database with one account of 100,000 files, one folder of them
holding 10,000, and times Django answering the folder page and the search
page (the whole request: middleware, session, view, SQL and template, called
in-process, so no socket or front server is counted), on SQLite and on
PostgreSQL. It also checks that a page's SQL queries do not grow with the
folder: the count on the last page of the big folder equals the one of a
folder of ten files.

Each database runs in a child process of its own, since settings are read
from the environment once per process. `--keep DIR` keeps the seeded
databases (DIR/db.sqlite3, PostgreSQL's portal_bench_folders) and measures
them again on the next run with the same DIR, after applying any new
migrations: minutes saved per try while working on these pages.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tests.tooling import scrubbed_env

FILES = 100_000
BIG_FOLDER = 10_000
OTHER_FOLDERS = 90  # the other 90,000 files, 1,000 a folder
REQUESTS = 200  # per page, after warming up
TARGET_MS = 100.0
POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
POSTGRES_BENCH_DB = "portal_bench_folders"
WORDS = ["report", "photo", "invoice", "notes", "scan", "draft", "song", "video", "backup", "plan"]
EXTENSIONS = ["pdf", "jpg", "txt", "docx", "png", "mp3", "mp4", "zip"]


def child_env(database_url: str, root: Path) -> dict[str, str]:
    return scrubbed_env(
        DATABASE_URL=database_url,
        PORTAL_VAR_DIR=str(root / "var"),
        PORTAL_MEDIA_ROOT=str(root / "media"),
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="false",
        # The test client's host. Not setup_test_environment(): it instruments
        # every template render, which would be counted as server time.
        ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="portal.settings",
    )


# -- in the child: one database ----------------------------------------------


def seed() -> dict[str, Any]:
    """One account: 100,000 files in 91 folders (one of 10,000) plus a small folder."""
    from accounts.models import User
    from files.folders import tree
    from files.models import UploadedFile

    owner = User.objects.create_user("bench")
    big = tree.create_folder(owner, None, "Big")
    others = [tree.create_folder(owner, None, f"Folder {i:02d}") for i in range(OTHER_FOLDERS)]
    # Top level like Big: a nested folder's breadcrumb costs one query more.
    small = tree.create_folder(owner, None, "Small")
    rows = []
    for i in range(FILES):
        folder = big if i < BIG_FOLDER else others[(i - BIG_FOLDER) % OTHER_FOLDERS]
        pk = uuid.uuid4()
        name = f"{WORDS[i % len(WORDS)]}-{i:06d}.{EXTENSIONS[i % len(EXTENSIONS)]}"
        rows.append(
            UploadedFile(
                id=pk,
                owner=owner,
                folder=folder,
                file=f"u/{owner.pk}/{pk}",
                name=name,
                size=1000 + i,
                content_type="application/octet-stream",
                sha256="0" * 64,
            )
        )
    UploadedFile.objects.bulk_create(rows, batch_size=5000)
    for i in range(10):
        pk = uuid.uuid4()
        UploadedFile.objects.create(
            id=pk,
            owner=owner,
            folder=small,
            file=f"u/{owner.pk}/{pk}",
            name=f"small-{i}.txt",
            size=10,
            content_type="text/plain",
            sha256="0" * 64,
        )
    return {"owner": owner, "big": big, "small": small}


def seeded() -> dict[str, Any] | None:
    """The account of an earlier run's kept database, or None."""
    from accounts.models import User

    owner = User.objects.filter(username="bench").first()
    if owner is None:
        return None
    top = owner.folders.filter(parent=None)
    return {"owner": owner, "big": top.get(name="Big"), "small": top.get(name="Small")}


def queries_for(client: Any, url: str, params: dict[str, Any]) -> int:
    """GET `url` with Django's test client; how many SQL queries answering it took."""
    from django.db import connection

    executed: list[str] = []

    def count(execute: Any, sql: str, *args: Any) -> Any:
        executed.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(count):
        response = client.get(url, params)
    if response.status_code != 200:
        raise RuntimeError(f"{url} {params} answered {response.status_code}")
    return len(executed)


def measure(database_url: str) -> dict[str, Any]:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0, interactive=False)
    # Pages link the manifest's hashed static names: no manifest, no page.
    call_command("collectstatic", verbosity=0, interactive=False)
    started = time.perf_counter()
    world = seeded() or seed()
    seeded_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as a live database has them

    client = Client()
    client.force_login(world["owner"])
    big, small = world["big"], world["small"]
    last_page = -(-BIG_FOLDER // settings.PORTAL_FILES_PER_PAGE)
    pages = {
        "folder of 10,000, newest first": (big.get_absolute_url(), {}),
        "folder of 10,000, by name": (big.get_absolute_url(), {"sort": "name"}),
        "folder of 10,000, last page": (big.get_absolute_url(), {"page": last_page}),
        "search all 100,000 (1,000 hits)": ("/files/", {"q": "report-01"}),
        "search all 100,000 (10,000 hits)": ("/files/", {"q": "report"}),
        "search in the folder of 10,000": (big.get_absolute_url(), {"q": "photo"}),
    }

    baseline = queries_for(client, small.get_absolute_url(), {})
    results: dict[str, Any] = {
        "vendor": connection.vendor,
        "load_average": os.getloadavg()[0],
        "seed_seconds": round(seeded_s, 1),
        "small_folder_queries": baseline,
        "pages": {},
    }
    for label, (url, params) in pages.items():
        for _ in range(10):
            queries = queries_for(client, url, params)
        timings, cpu = [], []
        for _ in range(REQUESTS):
            begun, begun_cpu = time.perf_counter(), time.process_time()
            client.get(url, params)
            timings.append((time.perf_counter() - begun) * 1000)
            cpu.append((time.process_time() - begun_cpu) * 1000)
        results["pages"][label] = {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": p95(timings),
            "max_ms": round(max(timings), 1),
            # This process's CPU only: SQLite's work, not PostgreSQL's (another process).
            "cpu_p95_ms": p95(cpu),
            "queries": queries,
        }
    return results


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return round(ordered[int(len(ordered) * 0.95) - 1], 1)


# -- in the parent ------------------------------------------------------------


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3, autocommit=True):
            return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


def recreate_postgres_db(drop_only: bool = False, keep: bool = False) -> None:
    """Drop and create the bench database; `keep`: create it only where missing."""
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [POSTGRES_BENCH_DB]
        ).fetchone()
        if keep and exists:
            return
        conn.execute(f"DROP DATABASE IF EXISTS {POSTGRES_BENCH_DB}")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {POSTGRES_BENCH_DB}")


def run_child(module: str, database_url: str, root: Path, *args: str) -> dict[str, Any]:
    """Run `python -m module --child *args` on `database_url`; its last line is its JSON."""
    completed = subprocess.run(
        [sys.executable, "-m", module, "--child", *args],
        env=child_env(database_url, root),
        cwd=Path(__file__).resolve().parents[1],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def render(results: list[dict[str, Any]]) -> str:
    lines = [
        f"Folder and search pages, {FILES:,} files ({BIG_FOLDER:,} in one folder); "
        f"{REQUESTS} requests each, in-process server time",
        "",
        "| database | page | p50 ms | p95 ms | max ms | p95 CPU ms | SQL queries |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        for label, page in result["pages"].items():
            lines.append(
                f"| {result['vendor']} | {label} | {page['p50_ms']} | {page['p95_ms']} "
                f"| {page['max_ms']} | {page['cpu_p95_ms']} | {page['queries']} |"
            )
    lines.append("")
    for result in results:
        worst = max(page["p95_ms"] for page in result["pages"].values())
        counts = {page["queries"] for page in result["pages"].values()}
        verdict = "meets" if worst < TARGET_MS else "MISSES"
        lines.append(
            f"{result['vendor']}: worst p95 {worst} ms ({verdict} the {TARGET_MS:.0f} ms target); "
            f"queries per page {sorted(counts)} vs {result['small_folder_queries']} for a "
            f"folder of 10 files; seeding took {result['seed_seconds']} s; "
            f"load average {result['load_average']:.1f} on {os.cpu_count()} CPUs"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.folders", description=__doc__)
    parser.add_argument("--child", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--keep", metavar="DIR", type=Path, help="keep the seeded databases, reuse them next time"
    )
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child)))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="portal-bench-folders-") as tmp:
        root = args.keep.resolve() if args.keep else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        if args.database in ("sqlite", "both"):
            sqlite_url = f"sqlite:///{root / 'db.sqlite3'}"
            results.append(run_child("bench.folders", sqlite_url, root, sqlite_url))
        if args.database in ("postgresql", "both"):
            if postgres_available():
                recreate_postgres_db(keep=bool(args.keep))
                try:
                    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{POSTGRES_BENCH_DB}"
                    results.append(run_child("bench.folders", url, root, url))
                finally:
                    if not args.keep:
                        recreate_postgres_db(drop_only=True)
            else:
                print(f"PostgreSQL at {POSTGRES_ADMIN_URL} does not answer: skipped")
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
