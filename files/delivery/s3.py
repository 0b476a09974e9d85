"""Presigned URLs on the object store (PORTAL_STORAGE=s3).

Signed by django-storages' S3 backend with SigV4 (SeaweedFS refuses SigV2
URLs that carry response-content-*), valid for AWS_QUERYSTRING_EXPIRE
seconds: computed locally, so the store is not asked anything here.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponseRedirect

from files.delivery.objects import StoredObject


def presigned_url(key: str, *, response_headers: dict[str, str] | None = None) -> str:
    """A GET URL for `key`; response_headers become the store's response-content-*."""
    parameters = {}
    if response_headers:
        parameters = {
            "ResponseContentType": response_headers["Content-Type"],
            "ResponseContentDisposition": response_headers["Content-Disposition"],
        }
    # S3Storage.url() takes the presign parameters; Django's Storage.url() does not.
    storage: Any = default_storage
    return storage.url(key, parameters=parameters)


def redirect(
    request: HttpRequest, obj: StoredObject, headers: dict[str, str]
) -> HttpResponseRedirect:
    """PORTAL_S3_REDIRECT=1: the client fetches the object from the store itself.

    The store then sends our Content-Type and Content-Disposition (signed into
    the URL); the other headers are the store's, which is the price of
    skipping the front server (no CSP on the file: serve it from another
    domain than the portal's, as a CDN would).
    """
    response = HttpResponseRedirect(presigned_url(obj.key, response_headers=headers))
    # Every click comes back here and runs the permission check again.
    response["Cache-Control"] = "private, no-store"
    return response
