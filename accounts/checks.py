"""Startup checks for the sign-in settings."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


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
