"""Startup checks for the sign-in settings, and for state several app servers must share.

A database other than SQLite is the sign of more than one app server (SQLite
lives on one machine's disk). Then the secret that signs sessions and CSRF
tokens must be the same everywhere, and the cache must not be per process.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

LOCAL_CACHE = "django.core.cache.backends.locmem.LocMemCache"


@register()
def check_trusted_proxies(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A proxy list that does not parse would fail every sign-in, not the start."""
    errors: list[CheckMessage] = []
    for item in settings.PORTAL_TRUSTED_PROXIES:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            errors.append(
                Error(
                    f"PORTAL_TRUSTED_PROXIES holds {item!r}, which is no address or network.",
                    hint="Comma-separated addresses or networks, e.g. 127.0.0.1,10.0.0.0/8.",
                    id="accounts.E001",
                )
            )
    return errors


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
