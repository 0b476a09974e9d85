"""One file's (or one earlier version's) verdict, and the status a new file starts with.

A file is scanned from storage (local or S3) in chunks, never read whole.
The row is updated only while it is still pending and still holds the bytes
that were read, so a release by staff that came first is never undone, and
a verdict never lands on bytes that replaced the scanned ones meanwhile;
only a verdict of clamd changes it, never an error (an unreachable clamd
leaves the file pending for the next try).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from files.models import FileVersion, ScanStatus, UploadedFile
from files.scanning import clamd

READ_CHUNK = 1024 * 1024


def enabled() -> bool:
    return bool(settings.PORTAL_SCAN == "clamd")


def initial_status() -> str:
    """What the intake writes on a new file: pending while scanning is on."""
    return ScanStatus.PENDING if enabled() else ScanStatus.NOT_SCANNED


def _chunks(stored: FieldFile) -> Iterator[bytes]:
    with stored.storage.open(stored.name or "", "rb") as source:
        while chunk := source.read(READ_CHUNK):
            yield chunk


def check(upload: UploadedFile | FileVersion) -> str:
    """Scan `upload` (a file, or an earlier version of one) and record the verdict; its status now.

    Raises clamd.ScannerUnavailable (nothing recorded) when clamd gives none.
    Past PORTAL_SCAN_MAX_SIZE (ClamAV's StreamMaxLength, 100 MB by default,
    and it cannot read past 2 GB at all) the file is "too large to scan",
    never "clean"; so is a file clamd itself stops reading.
    """
    stored = upload.stored if isinstance(upload, FileVersion) else upload.file
    if upload.size > settings.PORTAL_SCAN_MAX_SIZE:
        verdict = clamd.Verdict(too_large=True)
    else:
        verdict = clamd.scan(settings.PORTAL_CLAMD_ADDRESS, _chunks(stored))
    if verdict.infected:
        status = ScanStatus.INFECTED
    elif verdict.too_large:
        status = ScanStatus.TOO_LARGE
    else:
        status = ScanStatus.CLEAN
    verdict_fields = {
        "scan_status": status,
        "scan_signature": verdict.signature,
        "scanned": timezone.now(),
    }
    still = {"pk": upload.pk, "scan_status": ScanStatus.PENDING}
    if isinstance(upload, FileVersion):
        FileVersion.objects.filter(**still, stored=stored.name).update(**verdict_fields)
    else:
        UploadedFile.objects.filter(**still, file=stored.name).update(**verdict_fields)
    upload.scan_status, upload.scan_signature = status, verdict.signature
    return status
