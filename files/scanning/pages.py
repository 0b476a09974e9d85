"""The page a door answers instead of the bytes of a file that is withheld (files.access)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from files.models import ScanStatus, UploadedFile


def withheld_page(request: HttpRequest, upload: UploadedFile, reason: str) -> HttpResponse:
    """409 with Retry-After while the file is being checked; 403 when it will not be sent."""
    pending = reason == ScanStatus.PENDING
    response = render(
        request,
        "scanning/withheld.html",
        {"upload": upload, "reason": reason},
        status=409 if pending else 403,
    )
    if pending:
        response["Retry-After"] = str(settings.PORTAL_SCAN_RETRY_SECONDS)
    # Never cached: the same URL sends the file once it is cleared.
    response["Cache-Control"] = "no-store"
    return response
