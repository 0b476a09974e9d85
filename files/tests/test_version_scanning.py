"""An earlier version is quarantined like a current file: its own verdict, the same rule.

alice owns report.txt and replaces it; bob is who she shares it with; the
staff member reads everything. The first tests set verdicts by hand; the
ones marked with `scanning` run a real clamd (tests/clamav.py).
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from accounts.models import User
from files import access
from files.history import versions
from files.models import FileVersion, ScanStatus, UploadedFile
from files.scanning.tasks import scan_pending
from files.sharing import grants
from files.tests.conftest import MakeFile
from files.tests.utils import body
from files.uploads import intake
from tests.clamav import EICAR, Clamd
from tests.clamav import clamd_server as clamd_server  # noqa: F401  (fixture)


def replaced(alice: User, bob: User, make_file: MakeFile) -> tuple[UploadedFile, FileVersion]:
    """report.txt shared with bob, replaced once: its first bytes are the version."""
    original = make_file(alice, "report.txt", b"first")
    grants.share(original, bob)
    intake.replace_file(original, SimpleUploadedFile("report.txt", b"second"), by=alice)
    return original, original.versions.get()


def version_url(version: FileVersion) -> str:
    return f"/files/{version.file_id}/versions/{version.pk}/download/"


@pytest.mark.parametrize(
    ("status", "owner", "viewer", "staff_gets"),
    [
        (ScanStatus.CLEAN, 200, 200, 200),
        (ScanStatus.NOT_SCANNED, 200, 200, 200),
        (ScanStatus.PENDING, 200, 409, 409),
        (ScanStatus.INFECTED, 403, 403, 403),
    ],
)
def test_a_version_download_follows_the_versions_own_verdict(
    alice: User, bob: User, staff: User, alice_client: Client, bob_client: Client,
    make_file: MakeFile, status: str, owner: int, viewer: int, staff_gets: int,
) -> None:  # fmt: skip
    current, version = replaced(alice, bob, make_file)
    FileVersion.objects.filter(pk=version.pk).update(scan_status=status)
    staff_client = Client()
    staff_client.force_login(staff)
    answers = [c.get(version_url(version)) for c in (alice_client, bob_client, staff_client)]
    assert [a.status_code for a in answers] == [owner, viewer, staff_gets]
    for answer in answers:
        if answer.status_code == 200:
            assert body(answer) == b"first"
        else:
            assert b"first" not in answer.content
            assert answer["Cache-Control"] == "no-store"
    if status == ScanStatus.PENDING:
        assert answers[1]["Retry-After"]
    # The file's page says so beside the version.
    labels: dict[str, str] = {
        ScanStatus.PENDING: "being checked",
        ScanStatus.INFECTED: "quarantined",
    }
    label = labels.get(status)
    page = alice_client.get(f"/files/{current.pk}/").content.decode()
    assert (f'<span class="scan {status}">{label}</span>' in page) == (label is not None)
    # Withheld versions leave no row in the download trail; the current file is unaffected.
    sent = sum(a.status_code == 200 for a in answers)
    assert current.download_events.count() == sent
    assert bob_client.get(f"/files/{current.pk}/download/").status_code == 200


def test_withheld_judges_a_version_with_its_files_owner(
    alice: User, bob: User, settings: Settings, make_file: MakeFile
) -> None:
    _, version = replaced(alice, bob, make_file)
    settings.PORTAL_SCAN_UNSCANNABLE = "allow"
    version.scan_status = ScanStatus.TOO_LARGE
    assert access.withheld(version, alice) is None
    assert access.withheld(version, bob) == ScanStatus.TOO_LARGE
    assert access.withheld(version, AnonymousUser()) == ScanStatus.TOO_LARGE


def test_a_version_keeps_the_verdict_its_bytes_had_and_restore_gives_it_back(
    alice: User, bob: User, bob_client: Client, make_file: MakeFile
) -> None:
    original = make_file(alice, "report.txt", b"first")
    grants.share(original, bob)
    UploadedFile.objects.filter(pk=original.pk).update(
        scan_status=ScanStatus.INFECTED, scan_signature="Eicar-Test-Signature"
    )
    original.refresh_from_db()
    intake.replace_file(original, SimpleUploadedFile("report.txt", b"second"), by=alice)
    version = original.versions.get()
    assert (version.scan_status, version.scan_signature) == (
        ScanStatus.INFECTED,
        "Eicar-Test-Signature",
    )
    # Restoring quarantined bytes does not make them pending (which its owner could fetch).
    restored = versions.restore(version)
    assert restored.scan_status == ScanStatus.INFECTED
    version.refresh_from_db()
    assert version.scan_status == ScanStatus.NOT_SCANNED  # the "second" bytes' verdict
    assert bob_client.get(f"/files/{original.pk}/download/").status_code == 403
    assert bob_client.get(version_url(version)).status_code == 200


@pytest.fixture
def scanning(settings: Settings, clamd_server: Clamd) -> Clamd:
    settings.PORTAL_SCAN = "clamd"
    settings.PORTAL_CLAMD_ADDRESS = clamd_server.address
    return clamd_server


def test_bytes_replaced_before_their_scan_ended_are_scanned_as_a_version(
    scanning: Clamd, alice: User, bob: User, bob_client: Client, make_file: MakeFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:  # fmt: skip
    # Stored, but its scan has not run yet (the commit's task is not executed).
    with django_capture_on_commit_callbacks(execute=False):
        original = make_file(alice, "report.txt", EICAR)
    grants.share(original, bob)
    with django_capture_on_commit_callbacks(execute=True):
        intake.replace_file(original, SimpleUploadedFile("report.txt", b"fine"), by=alice)
    original.refresh_from_db()
    version = original.versions.get()
    assert original.scan_status == ScanStatus.CLEAN
    assert "eicar" in version.scan_signature.lower()
    assert version.scan_status == ScanStatus.INFECTED
    assert bob_client.get(version_url(version)).status_code == 403


def test_the_sweep_scans_pending_versions(
    scanning: Clamd, alice: User, bob: User, make_file: MakeFile
) -> None:
    _, version = replaced(alice, bob, make_file)
    FileVersion.objects.filter(pk=version.pk).update(scan_status=ScanStatus.PENDING)
    UploadedFile.objects.filter(pk=version.file_id).update(scan_status=ScanStatus.CLEAN)
    assert scan_pending() == {ScanStatus.CLEAN: 1}
    version.refresh_from_db()
    assert version.scan_status == ScanStatus.CLEAN and version.scanned is not None


def test_a_verdict_never_lands_on_bytes_that_replaced_the_scanned_ones(
    scanning: Clamd, alice: User, make_file: MakeFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    from files.scanning import clamd, scan

    original = make_file(alice, "report.txt", EICAR)
    UploadedFile.objects.filter(pk=original.pk).update(scan_status=ScanStatus.PENDING)
    original.refresh_from_db()
    real_scan = clamd.scan

    def replace_meanwhile(address: str, chunks: Iterable[bytes]) -> clamd.Verdict:
        verdict = real_scan(address, chunks)
        intake.replace_file(original, SimpleUploadedFile("report.txt", b"fine"), by=alice)
        return verdict

    monkeypatch.setattr(clamd, "scan", replace_meanwhile)
    scan.check(UploadedFile.objects.get(pk=original.pk))
    original.refresh_from_db()
    # The EICAR verdict was for the bytes now kept as a version, not for "fine".
    assert original.scan_status == ScanStatus.PENDING
