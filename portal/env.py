"""Small typed readers for the environment, used by settings and by `make serve`.

Nothing here imports Django, so deploy/serve.py can use it before Django is set up.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def persistent_secret(path: Path, nbytes: int) -> str:
    """A random secret created once at `path` (mode 0600) and read back ever after.

    For development and `make serve`: restarts keep sessions and signed links
    valid. Production passes its secrets in the environment instead.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()
