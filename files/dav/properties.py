"""Dead WebDAV properties (PROPPATCH of names outside DAV:) in the database.

wsgidav ships property stores for a shelve file, MongoDB and CouchDB; none is
shared by app servers on SQL, so here is one on the ORM. Keys are reference
URLs, which carry their user's namespace (files.dav.provider), so one user's
properties never show on another's resource of the same path.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, TextField, Value
from django.db.models.functions import Concat, Substr

from files.models import DavProperty

Environ = dict[str, Any] | None


CACHE = "portal.dav.properties"


def prefetch(environ: dict[str, Any], prefix: str) -> None:
    """Load every property at or below `prefix` for this request, in one query.

    A PROPFIND of a folder of 10,000 files would otherwise ask once per file.
    """
    found: dict[str, dict[str, bytes]] = {}
    for url, name, value in DavProperty.objects.filter(_below(prefix)).values_list(
        "url", "name", "value"
    ):
        found.setdefault(url, {})[name] = bytes(value)
    environ[CACHE] = (prefix.rstrip("/") + "/", found)


def _cached(environ: Environ, url: str) -> dict[str, bytes] | None:
    """The prefetched properties of `url`, or None when they were not prefetched."""
    if not environ or CACHE not in environ:
        return None
    prefix, found = environ[CACHE]
    if not (url + "/").startswith(prefix):
        return None
    return found.get(url, {})


def _forget(environ: Environ) -> None:
    if environ:
        environ.pop(CACHE, None)


def _below(url: str) -> Q:
    return Q(url=url) | Q(url__startswith=url.rstrip("/") + "/")


class DatabasePropertyManager:
    """wsgidav's property manager interface on the DavProperty table."""

    def __repr__(self) -> str:
        return self.__class__.__name__

    def get_properties(self, norm_url: str, environ: Environ = None) -> list[str]:
        cached = _cached(environ, norm_url)
        if cached is not None:
            return list(cached)
        return list(DavProperty.objects.filter(url=norm_url).values_list("name", flat=True))

    def get_property(self, norm_url: str, name: str, environ: Environ = None) -> bytes | None:
        cached = _cached(environ, norm_url)
        if cached is not None:
            return cached.get(name)
        row = DavProperty.objects.filter(url=norm_url, name=name).first()
        return None if row is None else bytes(row.value)

    def write_property(
        self,
        norm_url: str,
        name: str,
        property_value: bytes,
        dry_run: bool = False,
        environ: Environ = None,
    ) -> None:
        if dry_run:
            return
        _forget(environ)
        DavProperty.objects.update_or_create(
            url=norm_url, name=name, defaults={"value": property_value}
        )

    def remove_property(
        self, norm_url: str, name: str, dry_run: bool = False, environ: Environ = None
    ) -> None:
        if not dry_run:
            _forget(environ)
            DavProperty.objects.filter(url=norm_url, name=name).delete()

    def remove_properties(self, norm_url: str, environ: Environ = None) -> None:
        _forget(environ)
        DavProperty.objects.filter(_below(norm_url)).delete()

    def copy_properties(self, src_url: str, dest_url: str, environ: Environ = None) -> None:
        _forget(environ)
        with transaction.atomic():
            DavProperty.objects.filter(url=dest_url).delete()
            DavProperty.objects.bulk_create(
                DavProperty(url=dest_url, name=p.name, value=p.value)
                for p in DavProperty.objects.filter(url=src_url)
            )

    def move_properties(
        self, src_url: str, dest_url: str, with_children: bool, environ: Environ = None
    ) -> None:
        """Rename the keys: `src_url` (and what lies below it) becomes `dest_url`."""
        _forget(environ)
        with transaction.atomic():
            DavProperty.objects.filter(_below(dest_url)).delete()
            DavProperty.objects.filter(url=src_url).update(url=dest_url)
            if with_children:
                src, dest = src_url.rstrip("/") + "/", dest_url.rstrip("/") + "/"
                DavProperty.objects.filter(url__startswith=src).update(
                    url=Concat(Value(dest), Substr("url", len(src) + 1), output_field=TextField())
                )
