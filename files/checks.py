"""Startup checks for settings that would otherwise fail on the first download."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from files.serving import BACKENDS

MIN_SECRET_LENGTH = 32
# The secret is written into nginx.conf inside double quotes, where "$" would
# start a variable: letters, digits, "-" and "_" only (secrets.token_urlsafe).
_SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]*")


@register()
def check_serving(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if settings.PORTAL_SENDFILE not in BACKENDS:
        errors.append(
            Error(
                f"PORTAL_SENDFILE is {settings.PORTAL_SENDFILE!r}.",
                hint=f"Use one of: {', '.join(BACKENDS)}.",
                id="files.E001",
            )
        )
    if settings.PORTAL_STORAGE not in ("local", "s3"):
        errors.append(
            Error(
                f"PORTAL_STORAGE is {settings.PORTAL_STORAGE!r}.",
                hint="Use 'local' or 's3'.",
                id="files.E002",
            )
        )
    elif settings.PORTAL_STORAGE == "s3" and settings.PORTAL_SENDFILE != "django":
        # X-Sendfile needs a path on disk; nginx's presigned-URL proxy is not built yet.
        errors.append(
            Error(
                f"PORTAL_SENDFILE={settings.PORTAL_SENDFILE} cannot serve files from S3.",
                hint="With PORTAL_STORAGE=s3, use PORTAL_SENDFILE=django.",
                id="files.E003",
            )
        )
    if settings.PORTAL_SENDFILE == "apache" and not str(settings.MEDIA_ROOT).isascii():
        # Django would MIME-encode a non-ASCII X-Sendfile header; Apache would not find the file.
        errors.append(
            Error(
                f"MEDIA_ROOT {settings.MEDIA_ROOT} is not plain ASCII.",
                hint="PORTAL_SENDFILE=apache sends the path in a header: use an ASCII path.",
                id="files.E004",
            )
        )
    errors += _signed_url_errors()
    return errors


def _signed_url_errors() -> list[CheckMessage]:
    secret = settings.PORTAL_SIGNED_URL_SECRET
    if not secret:
        return []
    errors: list[CheckMessage] = []
    if len(secret) < MIN_SECRET_LENGTH or not _SECRET_CHARS.fullmatch(secret):
        errors.append(
            Error(
                "PORTAL_SIGNED_URL_SECRET is too short or has characters nginx.conf cannot hold.",
                hint=(
                    f"Use at least {MIN_SECRET_LENGTH} letters, digits, '-' or '_', e.g. "
                    "python -c 'import secrets; print(secrets.token_urlsafe(32))'."
                ),
                id="files.E005",
            )
        )
    if settings.PORTAL_SENDFILE != "nginx":
        errors.append(
            Error(
                f"PORTAL_SIGNED_URL_SECRET is set, but PORTAL_SENDFILE={settings.PORTAL_SENDFILE}.",
                hint="Signed URLs are verified by nginx: use PORTAL_SENDFILE=nginx or unset it.",
                id="files.E006",
            )
        )
    if settings.PORTAL_SIGNED_URL_TTL < 1:
        errors.append(
            Error(
                f"PORTAL_SIGNED_URL_TTL is {settings.PORTAL_SIGNED_URL_TTL}.",
                hint="Give signed URLs at least one second (default 60).",
                id="files.E007",
            )
        )
    return errors
