"""Values that Python and the front-server configs in deploy/ must agree on.

Defined once here and rendered into deploy/*.conf by deploy.stack (or checked
against them by files/tests/test_contract.py). Plain constants, importable
without Django, so the stack runner can use them before settings exist.
"""

from __future__ import annotations

import re

# A downloaded file may be anything, including HTML written by an attacker:
# it gets no scripts, no plugins, no forms, and a unique origin.
DOWNLOAD_CSP = (
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
)

# Where an uploaded file's bytes live in storage: u/<owner-id>/<uuid>, the
# same on disk and in a bucket. Never derived from the user's filename.
KEY_PREFIX = "u/"
OWNER_ID_PATTERN = "[0-9]+"
OBJECT_ID_PATTERN = "[0-9a-f-]{36}"
STORAGE_KEY = re.compile(f"{KEY_PREFIX}{OWNER_ID_PATTERN}/{OBJECT_ID_PATTERN}")

# Internal nginx locations Django points X-Accel-Redirect at, and the public
# prefix of signed URLs.
PROTECTED_PREFIX = "/_protected/"
S3_PREFIX = "/_s3/"
# The same object without the client's Range (its If-Range named another version).
S3_WHOLE_PREFIX = "/_s3_whole/"
SIGNED_PREFIX = "/_signed/"
# nginx's location for signed URLs; it names the object id for the expired-link redirect.
SIGNED_LOCATION = (
    f"^{SIGNED_PREFIX}{KEY_PREFIX}{OWNER_ID_PATTERN}/(?<portal_signed_id>{OBJECT_ID_PATTERN})$"
)


def storage_key(owner_id: int | None, object_id: object) -> str:
    return f"{KEY_PREFIX}{owner_id}/{object_id}"
