"""Small typed readers for the environment, used by settings and by `make serve`.

Nothing here imports Django, so deploy/serve.py can use it before Django is set
up; a value a reader does not understand raises EnvError (a ValueError of our
own, not Django's ImproperlyConfigured) naming the variable, so a typo stops the
start instead of quietly choosing a default.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_INTEGER = re.compile(r"[+-]?[0-9]+")


class EnvError(ValueError):
    """An environment variable holds a value its reader cannot understand."""

    def __init__(self, name: str, value: str, expected: str) -> None:
        super().__init__(f"{name}={value!r}: expected {expected}")
        self.name = name


def _read(name: str) -> str | None:
    """The variable's value, or None when it is unset or empty (as `VAR=` in a unit file)."""
    value = os.environ.get(name, "").strip()
    return value or None


def envbool(name: str, default: bool = False) -> bool:
    value = _read(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    # PORTAL_HTTPS=ture must not read as false and turn HTTPS protection off.
    raise EnvError(name, value, f"one of {', '.join(sorted(_TRUE | _FALSE))}")


def envint(name: str, default: int, *, minimum: int = 0) -> int:
    value = _read(name)
    if value is None:
        return default
    if not _INTEGER.fullmatch(value):
        raise EnvError(name, value, "a whole number of bytes, seconds or items, e.g. 60")
    number = int(value)
    if number < minimum:
        raise EnvError(name, value, f"a whole number of at least {minimum}")
    return number


def envlist(name: str, default: list[str]) -> list[str]:
    value = _read(name)
    if value is None:
        return default
    items = [item.strip() for item in value.split(",")]
    # "a.example b.example" is one host name that never matches; ",," is a slip.
    if any(not item or any(ch.isspace() for ch in item) for item in items):
        raise EnvError(name, value, "comma-separated items without spaces inside or empty ones")
    return items


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
