"""WebDAV locks in the database, so that every app server sees every lock.

wsgidav keeps locks in a process's memory by default: behind nginx's round
robin, a LOCK taken on one gunicorn would be unknown to the next, and litmus's
locks suite fails. With REDIS_URL set wsgidav's own Redis storage is used
instead (files.dav.app); this one serves the single-machine default.
"""

from __future__ import annotations

import time
from typing import Any

from django.db.models import Q
from wsgidav.lock_man.lock_storage import (  # type: ignore[import-untyped]
    LockStorageDict,
    generate_lock_token,
    normalize_lock_root,
    validate_lock,
)

from files.models import DavLock

Lock = dict[str, Any]


def _to_json(lock: Lock) -> dict[str, Any]:
    """The lock as JSON: wsgidav keeps the owner as XML bytes, kept here as text."""
    data = {k: v.decode() if isinstance(v, bytes) else v for k, v in lock.items()}
    data["_bytes"] = sorted(k for k, v in lock.items() if isinstance(v, bytes))
    return data


def _from_json(data: dict[str, Any]) -> Lock:
    encoded = set(data.get("_bytes", ()))
    return {k: v.encode() if k in encoded else v for k, v in data.items() if k != "_bytes"}


def _live(now: float) -> Q:
    return Q(expire__lt=0) | Q(expire__gte=now)


class DatabaseLockStorage:
    """wsgidav's lock storage interface (see LockStorageDict) on the DavLock table."""

    LOCK_TIME_OUT_DEFAULT = LockStorageDict.LOCK_TIME_OUT_DEFAULT
    LOCK_TIME_OUT_MAX = LockStorageDict.LOCK_TIME_OUT_MAX

    def __repr__(self) -> str:
        return self.__class__.__name__

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def cleanup(self) -> None:
        DavLock.objects.filter(expire__gte=0, expire__lt=time.time()).delete()

    def clear(self) -> None:
        DavLock.objects.all().delete()

    def get(self, token: str) -> Lock | None:
        """The lock of `token`, or None when there is none or it has expired."""
        row = DavLock.objects.filter(_live(time.time()), token=token).first()
        return None if row is None else _from_json(row.data)

    def create(self, path: str, lock: Lock) -> Lock:
        root = normalize_lock_root(path)
        timeout = float(lock.get("timeout") or self.LOCK_TIME_OUT_DEFAULT)
        if timeout < 0 or timeout > self.LOCK_TIME_OUT_MAX:
            timeout = self.LOCK_TIME_OUT_MAX
        lock["root"] = root
        lock["timeout"] = timeout
        lock["expire"] = time.time() + timeout
        validate_lock(lock)
        lock["token"] = generate_lock_token()
        DavLock.objects.create(
            token=lock["token"], root=root, expire=lock["expire"], data=_to_json(lock)
        )
        return lock

    def refresh(self, token: str, *, timeout: float) -> Lock:
        row = DavLock.objects.get(token=token)
        if timeout < 0 or timeout > self.LOCK_TIME_OUT_MAX:
            timeout = self.LOCK_TIME_OUT_MAX
        lock: Lock = row.data
        lock["timeout"] = timeout
        lock["expire"] = time.time() + timeout
        DavLock.objects.filter(token=token).update(expire=lock["expire"], data=_to_json(lock))
        return lock

    def delete(self, token: str) -> bool:
        deleted, _ = DavLock.objects.filter(token=token).delete()
        return deleted > 0

    def get_lock_list(
        self, path: str, *, include_root: bool, include_children: bool, token_only: bool
    ) -> list[Any]:
        """The live locks rooted at `path` and/or below it."""
        root = normalize_lock_root(path)
        where = Q()
        if include_root:
            where |= Q(root=root)
        if include_children:
            where |= Q(root__startswith=root.rstrip("/") + "/")
        rows = DavLock.objects.filter(where, _live(time.time()))
        if token_only:
            return list(rows.values_list("token", flat=True))
        return [_from_json(row.data) for row in rows]
