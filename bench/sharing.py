"""What sharing costs: the folder page of a big shared folder, seen by its recipient.

``python -m bench.sharing`` seeds the account of bench.folders (100,000 files,
one folder of 10,000), shares that folder with a second user, and also shares
1,000 single files and 50 other folders with them, so that the access filters
(files.access: EXISTS over the recipient's shares, folder paths compared by
prefix) have rows to go through. It then times, in-process as bench.folders
does, the same pages for the owner and for the recipient, and the public
link page of that folder, on SQLite and on PostgreSQL, with their query counts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.folders import (
    BIG_FOLDER,
    POSTGRES_ADMIN_URL,
    p95,
    postgres_available,
    queries_for,
    run_child,
    seed,
)

REQUESTS = 100  # per page, after warming up
SINGLE_FILE_SHARES = 1000
FOLDER_SHARES = 50
POSTGRES_BENCH_DB = "portal_bench_sharing"


def measure() -> dict[str, Any]:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from files.models import Folder, Share, UploadedFile
    from files.sharing import grants

    call_command("migrate", verbosity=0, interactive=False)
    world = seed()
    owner, big = world["owner"], world["big"]
    recipient = User.objects.create_user("recipient")
    grants.share(big, recipient)
    others = Folder.objects.filter(owner=owner).exclude(pk=big.pk)[:FOLDER_SHARES]
    singles = UploadedFile.objects.filter(owner=owner).exclude(folder=big)[:SINGLE_FILE_SHARES]
    Share.objects.bulk_create(
        [Share(folder=folder, recipient=recipient) for folder in others]
        + [Share(file=upload, recipient=recipient) for upload in singles]
    )
    _, token = grants.create_link(big)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    as_owner, as_recipient, anonymous = Client(), Client(), Client()
    as_owner.force_login(owner)
    as_recipient.force_login(recipient)
    last_page = -(-BIG_FOLDER // settings.PORTAL_FILES_PER_PAGE)
    folder_url = big.get_absolute_url()
    pages = {
        "owner: folder of 10,000": (as_owner, folder_url, {}),
        "recipient: folder of 10,000": (as_recipient, folder_url, {}),
        "recipient: its last page": (as_recipient, folder_url, {"page": last_page}),
        "recipient: search in it": (as_recipient, folder_url, {"q": "photo"}),
        "recipient: shared with me": (as_recipient, "/files/shared/", {}),
        "anonymous: folder link": (anonymous, f"/s/{token}/", {}),
        "anonymous: folder link, last page": (anonymous, f"/s/{token}/", {"page": last_page}),
    }

    results: dict[str, Any] = {"vendor": connection.vendor, "pages": {}}
    for label, (client, url, params) in pages.items():
        for _ in range(5):
            queries = queries_for(client, url, params)
        timings = []
        for _ in range(REQUESTS):
            begun = time.perf_counter()
            client.get(url, params)
            timings.append((time.perf_counter() - begun) * 1000)
        results["pages"][label] = {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": p95(timings),
            "queries": queries,
        }
    return results


def render(results: list[dict[str, Any]]) -> str:
    lines = [
        f"Shared folder of {BIG_FOLDER:,} files; the recipient also holds "
        f"{SINGLE_FILE_SHARES:,} file shares and {FOLDER_SHARES} other folder shares; "
        f"{REQUESTS} requests each, in-process server time",
        "",
        "| database | page | p50 ms | p95 ms | SQL queries |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for result in results:
        for label, page in result["pages"].items():
            lines.append(
                f"| {result['vendor']} | {label} | {page['p50_ms']} | {page['p95_ms']} "
                f"| {page['queries']} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sharing", description=__doc__)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure()))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="portal-bench-sharing-") as tmp:
        root = Path(tmp)
        if args.database in ("sqlite", "both"):
            results.append(run_child("bench.sharing", f"sqlite:///{root / 'db.sqlite3'}", root))
        if args.database in ("postgresql", "both") and postgres_available():
            import psycopg

            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {POSTGRES_BENCH_DB}")
                admin.execute(f"CREATE DATABASE {POSTGRES_BENCH_DB}")
            try:
                url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{POSTGRES_BENCH_DB}"
                results.append(run_child("bench.sharing", url, root))
            finally:
                with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {POSTGRES_BENCH_DB} WITH (FORCE)")
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
