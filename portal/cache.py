"""The cache every process shares when no Redis is configured: a table in the database.

Guess limits (link passwords, share look-ups) count in the cache. A cache in
each process's memory would let every gunicorn worker and every app server
count on its own, multiplying a limit by their number (`make serve` runs
2 x CPUs + 1 workers); the database is already shared by all of them.

Django's DatabaseCache does `incr` as a read then a write, so two processes
counting at once could both write n + 1 and lose a guess, and it resets the
entry's expiry (a window that never closes, or closes early). `incr` here is
one locked read-modify-write that keeps the expiry, as Redis's INCR does.
The table is made by `createcachetable`, run after every `migrate`
(`create_table`, connected in files.apps), so no step can forget it.
"""

from __future__ import annotations

import base64
import pickle
from typing import Any

from django.core.cache.backends.db import DatabaseCache
from django.core.management import call_command
from django.db import connections, router, transaction
from django.utils import timezone

# Per-process backends: a limit counted in one of them holds in that process only.
PER_PROCESS = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}
TABLE = "portal_cache"


class SharedDatabaseCache(DatabaseCache):
    """Django's database cache with an atomic `incr` that keeps the entry's expiry."""

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        # BaseDatabaseCache sets _table from LOCATION (the stubs do not declare it).
        table = quote(self._table)  # type: ignore[attr-defined]
        cache_key, value = quote("cache_key"), quote("value")
        expires = quote("expires")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        # SQLite has no row lock: its IMMEDIATE transactions (portal.settings)
        # take the database's write lock at BEGIN, which serialises the same way.
        now = connection.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0))
        # Identifiers only, quoted by the backend; the values go as parameters.
        select = f"SELECT {value} FROM {table} WHERE {cache_key} = %s AND {expires} >= %s{lock}"  # noqa: S608
        update = f"UPDATE {table} SET {value} = %s WHERE {cache_key} = %s"  # noqa: S608
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(select, [key, now])
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            # What DatabaseCache itself wrote and reads: pickles in our own table.
            new = pickle.loads(base64.b64decode(row[0].encode())) + delta  # noqa: S301
            encoded = base64.b64encode(pickle.dumps(new, self.pickle_protocol)).decode("latin1")
            cursor.execute(update, [encoded, key])
        return int(new)


def create_table(**kwargs: Any) -> None:
    """post_migrate: make the cache table where the settings ask for one (idempotent)."""
    call_command("createcachetable", database=kwargs.get("using", "default"), verbosity=0)
