"""One file's verdict, and the status a new file starts with.

A file is scanned from storage (local or S3) in chunks, never read whole.
The row is updated only while it is still pending, so a release by staff
that came first is never undone; only a verdict of clamd changes it, never
an error (an unreachable clamd leaves the file pending for the next try).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.utils import timezone

from files.models import ScanStatus, UploadedFile
from files.scanning import clamd

READ_CHUNK = 1024 * 1024


def enabled() -> bool:
    return bool(settings.PORTAL_SCAN == "clamd")


def initial_status() -> str:
    """What the intake writes on a new file: pending while scanning is on."""
    return ScanStatus.PENDING if enabled() else ScanStatus.NOT_SCANNED


def _chunks(upload: UploadedFile) -> Iterator[bytes]:
    with upload.file.storage.open(upload.file.name, "rb") as source:
        while chunk := source.read(READ_CHUNK):
            yield chunk


def check(upload: UploadedFile) -> str:
    """Scan `upload` and record the verdict; the status it now has.

    Raises clamd.ScannerUnavailable (nothing recorded) when clamd gives none.
    Past PORTAL_SCAN_MAX_SIZE (ClamAV's StreamMaxLength, 100 MB by default,
    and it cannot read past 2 GB at all) the file is "too large to scan",
    never "clean"; so is a file clamd itself stops reading.
    """
    if upload.size > settings.PORTAL_SCAN_MAX_SIZE:
        verdict = clamd.Verdict(too_large=True)
    else:
        verdict = clamd.scan(settings.PORTAL_CLAMD_ADDRESS, _chunks(upload))
    if verdict.infected:
        status = ScanStatus.INFECTED
    elif verdict.too_large:
        status = ScanStatus.TOO_LARGE
    else:
        status = ScanStatus.CLEAN
    UploadedFile.objects.filter(pk=upload.pk, scan_status=ScanStatus.PENDING).update(
        scan_status=status, scan_signature=verdict.signature, scanned=timezone.now()
    )
    upload.scan_status, upload.scan_signature = status, verdict.signature
    return status
