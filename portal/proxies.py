"""Who the client is when our own front server (nginx, Apache) passes the request on.

nginx's `$proxy_add_x_forwarded_for` and Apache's mod_proxy append the address
they saw to whatever X-Forwarded-For the client sent, so only the entries our
proxies wrote, read from the right, can be believed. Anything to their left is
the client's own claim. Login throttling (django-axes) keys on this address.
"""

from __future__ import annotations

import ipaddress
from functools import cache, lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def _trusted(address: str, trusted: tuple[str, ...]) -> bool:
    networks = _networks(trusted)
    return any(ipaddress.ip_address(address) in network for network in networks)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def client_address(request: HttpRequest) -> str:
    """The address of the client as the outermost of our proxies saw it."""
    return _client_address(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        tuple(settings.PORTAL_TRUSTED_PROXIES),
    )


# Every permitted download asks it (its audit row); parsing the addresses was
# ~5 % of the download fast path's CPU (docs/performance.md, the click), and
# the same few (proxy, client) pairs come again and again. Bounded: the
# forwarded-for header is the client's to fill (nginx: at most 8 KiB).
@lru_cache(maxsize=1024)
def _client_address(address: str, forwarded_for: str, trusted: tuple[str, ...]) -> str:
    if not _is_address(address) or not _trusted(address, trusted):
        return address
    hops = forwarded_for.split(",")
    for hop in reversed([hop.strip() for hop in hops]):
        if not _is_address(hop):
            break  # not written by a proxy of ours: stop at the last one that was
        address = hop
        if not _trusted(hop, trusted):
            break
    return address
