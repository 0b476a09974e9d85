"""The click's floor: granian and nginx with next to no Python (bench/click.py's floor row).

For a download URL it answers the same X-Accel-Redirect response the fast
path gives a permitted click (the same headers, constant), with no session,
no access check and no audit row; everything else (the bench's login and
upload) goes to Portal. What a click costs on this row is the servers'
share; what the fast path costs above it is the Python there is to save.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

from portal.wsgi import application as portal

# isort: split
# After Django's setup (portal.wsgi): the fast path imports models.
from files.contract import DOWNLOAD_CSP, PROTECTED_PREFIX  # noqa: E402
from portal.fastpath import DOWNLOAD_PATH, StartResponse  # noqa: E402


@cache
def _key(file_id: str) -> str:
    [stored] = Path(settings.MEDIA_ROOT).glob(f"u/*/{file_id}")
    return str(stored.relative_to(settings.MEDIA_ROOT))


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    match = DOWNLOAD_PATH.fullmatch(environ.get("PATH_INFO", ""))
    if match is None:
        return portal(environ, start_response)
    headers = [
        ("Content-Type", "application/octet-stream"),
        ("X-Accel-Redirect", PROTECTED_PREFIX + _key(match[1])),
        ("Content-Disposition", 'attachment; filename="click-small.bin"'),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", DOWNLOAD_CSP),
        ("Cache-Control", "private"),
        ("X-Frame-Options", "DENY"),
        ("Content-Length", "0"),
        ("Vary", "Cookie"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    start_response("200 OK", headers)
    return [b""]
