"""Startup checks for settings that would otherwise fail on the first download."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from files.delivery import S3_SENDERS, SENDFILE_BACKENDS

MIN_SECRET_LENGTH = 32
# The secret is written into nginx.conf inside double quotes, where "$" would
# start a variable: letters, digits, "-" and "_" only (secrets.token_urlsafe).
_SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]*")


@register()
def check_serving(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if settings.PORTAL_SENDFILE not in SENDFILE_BACKENDS:
        errors.append(
            Error(
                f"PORTAL_SENDFILE is {settings.PORTAL_SENDFILE!r}.",
                hint=f"Use one of: {', '.join(SENDFILE_BACKENDS)}.",
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
    else:
        errors += _s3_errors()
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


def _s3_errors() -> list[CheckMessage]:
    """Refuse only what cannot work: every other sender reaches S3 without a path on disk."""
    errors: list[CheckMessage] = []
    s3, redirect = settings.PORTAL_STORAGE == "s3", settings.PORTAL_S3_REDIRECT
    if s3 and not redirect and settings.PORTAL_SENDFILE in set(SENDFILE_BACKENDS) - set(S3_SENDERS):
        # X-Sendfile names a file on the web server's disk; an object has none.
        errors.append(
            Error(
                f"PORTAL_SENDFILE={settings.PORTAL_SENDFILE} cannot send files from S3.",
                hint=(
                    "With PORTAL_STORAGE=s3, put nginx in front (PORTAL_SENDFILE=nginx), "
                    "or redirect to the store (PORTAL_S3_REDIRECT=1)."
                ),
                id="files.E003",
            )
        )
    if redirect and not s3:
        errors.append(
            Error(
                "PORTAL_S3_REDIRECT is set, but PORTAL_STORAGE is not s3.",
                hint="Redirects go to presigned URLs on the store: use PORTAL_STORAGE=s3.",
                id="files.E008",
            )
        )
    if s3 and settings.PORTAL_S3_TIMEOUT < 1:
        errors.append(
            Error(
                f"PORTAL_S3_TIMEOUT is {settings.PORTAL_S3_TIMEOUT}.",
                hint="Give the store at least one second (default 20).",
                id="files.E009",
            )
        )
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


@register()
def check_scanning(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A misspelt PORTAL_SCAN would leave every file unscanned without a word."""
    errors: list[CheckMessage] = []
    if settings.PORTAL_SCAN not in ("", "clamd"):
        errors.append(
            Error(
                f"PORTAL_SCAN is {settings.PORTAL_SCAN!r}.",
                hint="Use clamd (with PORTAL_CLAMD_ADDRESS), or leave it unset for no scanning.",
                id="files.E020",
            )
        )
    if settings.PORTAL_SCAN_UNSCANNABLE not in ("allow", "block"):
        errors.append(
            Error(
                f"PORTAL_SCAN_UNSCANNABLE is {settings.PORTAL_SCAN_UNSCANNABLE!r}.",
                hint="Use allow or block.",
                id="files.E021",
            )
        )
    return errors
