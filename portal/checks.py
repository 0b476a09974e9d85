"""A warning when guess limits would be counted per process while several processes serve.

Registered by files.apps. `make serve` tells it how many processes answer
(PORTAL_APP_PROCESSES = gunicorn workers x app servers); gunicorn's own start
hook (deploy/gunicorn.conf.py) asks the same question with its real count.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

from portal.cache import PER_PROCESS


def app_processes() -> int:
    try:
        return max(int(os.environ.get("PORTAL_APP_PROCESSES") or 1), 1)
    except ValueError:
        return 1


@register()
def check_cache_is_shared(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return per_process_cache_warnings(settings.CACHES["default"]["BACKEND"], app_processes())


def per_process_cache_warnings(backend: str, processes: int) -> list[CheckMessage]:
    if backend not in PER_PROCESS or processes <= 1:
        return []
    return [
        Warning(
            f"The cache is kept in each process's memory, and {processes} processes serve.",
            hint="Guess limits (link passwords, share look-ups) would count in each "
            f"process apart, {processes} times as many guesses: unset CACHE_URL (the "
            "database cache, shared) or set it to Redis.",
            id="portal.W001",
        )
    ]
