"""Warnings for a shared database with per-machine state (several app servers)."""

from __future__ import annotations

from accounts.checks import LOCAL_CACHE, shared_state_warnings

SQLITE = "django.db.backends.sqlite3"
POSTGRES = "django.db.backends.postgresql"
REDIS = "django.core.cache.backends.redis.RedisCache"


def ids(database: str, cache: str, secret_key_from_env: bool) -> list[str]:
    return [str(m.id) for m in shared_state_warnings(database, cache, secret_key_from_env)]


def test_it_is_quiet_on_sqlite() -> None:
    assert ids(SQLITE, LOCAL_CACHE, secret_key_from_env=False) == []


def test_it_wants_a_shared_secret_key_with_a_shared_database() -> None:
    assert ids(POSTGRES, REDIS, secret_key_from_env=False) == ["accounts.W001"]


def test_it_wants_a_shared_cache_with_a_shared_database() -> None:
    assert ids(POSTGRES, LOCAL_CACHE, secret_key_from_env=True) == ["accounts.W002"]


def test_it_is_quiet_when_everything_is_shared() -> None:
    assert ids(POSTGRES, REDIS, secret_key_from_env=True) == []
