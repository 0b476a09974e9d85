"""Startup warnings for state that several app servers must share but would not.

A database other than SQLite is the sign of more than one app server (SQLite
lives on one machine's disk). Then the secret that signs sessions and CSRF
tokens must be the same everywhere, and the cache must not be per process.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

LOCAL_CACHE = "django.core.cache.backends.locmem.LocMemCache"


@register(deploy=True)
def check_shared_state(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return shared_state_warnings(
        settings.DATABASES["default"]["ENGINE"],
        settings.CACHES["default"]["BACKEND"],
        secret_key_from_env=bool(os.environ.get("SECRET_KEY")),
    )


def shared_state_warnings(
    database_engine: str, cache_backend: str, secret_key_from_env: bool
) -> list[CheckMessage]:
    if database_engine == "django.db.backends.sqlite3":
        return []
    warnings: list[CheckMessage] = []
    if not secret_key_from_env:
        warnings.append(
            Warning(
                "SECRET_KEY was generated into this machine's PORTAL_VAR_DIR.",
                hint="With a shared database, give every app server the same SECRET_KEY "
                "in its environment, or sessions signed on one fail on another.",
                id="accounts.W001",
            )
        )
    if cache_backend == LOCAL_CACHE:
        warnings.append(
            Warning(
                "The cache is in each process's memory.",
                hint="With several app servers, set REDIS_URL (or CACHE_URL) so that "
                "cached values and sessions are the same on all of them.",
                id="accounts.W002",
            )
        )
    return warnings
