"""Startup checks for settings that would otherwise fail on the first download."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from files.serving import BACKENDS


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
    return errors
