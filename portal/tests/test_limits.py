"""Guess limits in the cache every process shares (portal.cache, portal.limits, portal.checks)."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection, connections

from portal.cache import SharedDatabaseCache
from portal.checks import per_process_cache_warnings
from portal.limits import Limit

pytestmark = pytest.mark.django_db


def expiry(key: str) -> datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM portal_cache WHERE cache_key = %s", [key])
        return cursor.fetchone()[0]


def test_without_redis_the_cache_is_the_shared_database_table() -> None:
    if settings.CACHE_URL:
        pytest.skip("CACHE_URL is set: this run uses that cache")  # pragma: no cover
    assert settings.CACHES["default"]["BACKEND"] == "portal.cache.SharedDatabaseCache"
    assert isinstance(caches["default"], SharedDatabaseCache)
    assert "portal_cache" in connection.introspection.table_names()


def test_incr_counts_and_keeps_the_window() -> None:
    if not isinstance(caches["default"], SharedDatabaseCache):
        pytest.skip("another cache is configured")  # pragma: no cover
    cache.add("k", 0, 600)
    key = cache.make_key("k")
    window = expiry(key)
    assert [cache.incr("k") for _ in range(3)] == [1, 2, 3]
    assert cache.decr("k") == 2
    assert expiry(key) == window
    assert cache.get("k") == 2


def test_incr_of_a_missing_or_expired_key_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        cache.incr("never-set")
    cache.set("gone", 1, -1)
    with pytest.raises(ValueError):
        cache.incr("gone")


def test_a_limit_lets_exactly_its_number_of_wrong_attempts_through() -> None:
    limit = Limit("test", allowed=3, window=600)
    assert [limit.take("x") for _ in range(5)] == [True, True, True, False, False]
    assert limit.take("y") is True  # another key counts apart


def test_a_right_attempt_is_given_back() -> None:
    limit = Limit("test", allowed=2, window=600)
    for _ in range(10):
        assert limit.take("x")
        limit.give_back("x")
    assert limit.used("x") == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_are_all_counted() -> None:
    """Eight threads, each its own database connection, as eight workers would be."""
    limit = Limit("race", allowed=1_000, window=600)
    start = threading.Barrier(8)

    def guess() -> None:
        start.wait()
        try:
            for _ in range(20):
                limit.take("x")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert limit.used("x") == 160


def test_it_warns_when_a_per_process_cache_meets_several_processes() -> None:
    locmem = "django.core.cache.backends.locmem.LocMemCache"
    [warning] = per_process_cache_warnings(locmem, 5)
    assert warning.id == "portal.W001"
    assert "5 processes" in warning.msg
    assert per_process_cache_warnings(locmem, 1) == []
    assert per_process_cache_warnings("portal.cache.SharedDatabaseCache", 9) == []
    assert per_process_cache_warnings("django.core.cache.backends.redis.RedisCache", 9) == []


def test_the_check_reads_the_process_count_make_serve_gives(
    monkeypatch: pytest.MonkeyPatch, settings
) -> None:
    from django.core.checks import run_checks

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setenv("PORTAL_APP_PROCESSES", "10")
    assert "portal.W001" in [message.id for message in run_checks()]
    monkeypatch.setenv("PORTAL_APP_PROCESSES", "1")
    assert "portal.W001" not in [message.id for message in run_checks()]
