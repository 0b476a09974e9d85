"""The quarantine with a real clamd (tests/clamav.py): no unchecked file reaches anyone else.

alice uploads, bob is shared with, a link's visitor is anonymous, staff reads
everything. EICAR is quarantined, a clean file released, a stopped clamd
leaves files pending and a restarted one scans them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.admin.sites import site
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from accounts.models import User
from files import access
from files.models import Link, ScanStatus, UploadedFile
from files.previews.tasks import make_thumbnail
from files.scanning import clamd
from files.scanning.tasks import scan_pending
from files.sharing import grants
from files.tests.conftest import MakeFile
from files.tests.utils import image_bytes
from tests.clamav import EICAR, STREAM_MAX, Clamd
from tests.clamav import clamd_server as clamd_server  # noqa: F401  (fixture)


@pytest.fixture
def scanning(settings: Settings, clamd_server: Clamd) -> Clamd:
    settings.PORTAL_SCAN = "clamd"
    settings.PORTAL_CLAMD_ADDRESS = clamd_server.address
    return clamd_server


@pytest.fixture
def upload(
    make_file: MakeFile, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> Iterator[MakeFile]:
    """Stores a file and runs what its commit queued (the scan task, immediate in tests)."""

    def make(owner: User, name: str, content: bytes) -> UploadedFile:
        with django_capture_on_commit_callbacks(execute=True):
            stored = make_file(owner, name, content)
        stored.refresh_from_db()
        return stored

    yield make


def shared_with_bob(stored: UploadedFile, bob: User) -> None:
    grants.share(stored, bob)


def test_eicar_is_quarantined_and_sent_to_nobody(
    scanning: Clamd,
    upload: MakeFile,
    alice: User,
    bob: User,
    alice_client: Client,
    bob_client: Client,
    client: Client,
    staff: User,
) -> None:
    stored = upload(alice, "eicar.com", EICAR)
    assert stored.scan_status == ScanStatus.INFECTED
    assert "eicar" in stored.scan_signature.lower()
    shared_with_bob(stored, bob)
    _, token = grants.create_link(stored)
    staff_client = Client()
    staff_client.force_login(staff)
    for reader, url in [
        (alice_client, stored.get_download_url()),
        (alice_client, stored.get_preview_url()),
        (bob_client, stored.get_download_url()),
        (staff_client, stored.get_download_url()),
        (client, f"/s/{token}/download/{stored.pk}/"),
    ]:
        response = reader.get(url)
        assert response.status_code == 403, url
        assert EICAR not in response.content
        assert "cannot be downloaded" in response.content.decode()
    # The owner is told which signature matched; nobody else is.
    assert stored.scan_signature in alice_client.get(stored.get_absolute_url()).content.decode()
    assert stored.scan_signature not in bob_client.get(stored.get_absolute_url()).content.decode()
    assert Link.objects.get().downloads == 0


def test_a_withheld_image_never_gets_a_thumbnail(
    scanning: Clamd, upload: MakeFile, alice: User, alice_client: Client, settings: Settings
) -> None:
    settings.PORTAL_SCAN_MAX_SIZE = 10
    too_large = upload(alice, "big.png", image_bytes("PNG", (64, 64)))
    assert too_large.scan_status == ScanStatus.TOO_LARGE
    assert not too_large.thumbnail
    # Even asked directly, the thumbnail task decodes no withheld bytes.
    for status in (ScanStatus.PENDING, ScanStatus.INFECTED, ScanStatus.TOO_LARGE):
        UploadedFile.objects.filter(pk=too_large.pk).update(scan_status=status)
        assert make_thumbnail.call(str(too_large.pk)) is False
    too_large.refresh_from_db()
    assert not too_large.thumbnail
    assert alice_client.get(f"/files/{too_large.pk}/thumbnail/").status_code == 404


def test_a_clean_file_is_released_to_everyone_it_is_shared_with(
    scanning: Clamd, upload: MakeFile, alice: User, bob: User, bob_client: Client, client: Client
) -> None:
    stored = upload(alice, "photo.png", image_bytes("PNG", (64, 64)))
    assert stored.scan_status == ScanStatus.CLEAN
    assert stored.scanned is not None
    assert stored.thumbnail  # made once the file was cleared
    shared_with_bob(stored, bob)
    assert bob_client.get(stored.get_download_url()).status_code == 200
    _, token = grants.create_link(stored)
    assert client.get(f"/s/{token}/download/{stored.pk}/").status_code == 200


def test_with_clamd_stopped_files_stay_pending_and_are_scanned_when_it_is_back(
    scanning: Clamd,
    upload: MakeFile,
    alice: User,
    bob: User,
    alice_client: Client,
    bob_client: Client,
    client: Client,
) -> None:
    scanning.stop()
    try:
        clean = upload(alice, "notes.txt", b"nothing to see")
        infected = upload(alice, "eicar.txt", EICAR)
        assert [clean.scan_status, infected.scan_status] == [ScanStatus.PENDING] * 2
        assert scan_pending() == {ScanStatus.PENDING: 2}  # no verdict from an error
        shared_with_bob(clean, bob)
        link, token = grants.create_link(clean, download_limit=1)
        # The owner has her own file; nobody else gets the bytes, only "being checked".
        assert alice_client.get(clean.get_download_url()).status_code == 200
        for response in (
            bob_client.get(clean.get_download_url()),
            client.get(f"/s/{token}/download/{clean.pk}/"),
        ):
            assert response.status_code == 409
            assert response["Retry-After"] == "60"
            assert "This file is being checked" in response.content.decode()
        assert "being checked" in client.get(f"/s/{token}/").content.decode()
        link.refresh_from_db()
        assert link.downloads == 0  # a refused download used none of the link's
        assert "being checked" in alice_client.get("/files/").content.decode()
    finally:
        scanning.start()
    assert scan_pending() == {ScanStatus.CLEAN: 1, ScanStatus.INFECTED: 1}
    assert bob_client.get(clean.get_download_url()).status_code == 200
    infected.refresh_from_db()
    assert infected.scan_status == ScanStatus.INFECTED


def test_a_file_past_the_size_limit_is_too_large_never_clean(
    scanning: Clamd,
    upload: MakeFile,
    alice: User,
    bob: User,
    alice_client: Client,
    bob_client: Client,
    settings: Settings,
) -> None:
    settings.PORTAL_SCAN_MAX_SIZE = 100
    stored = upload(alice, "big.bin", b"x" * 101)
    assert stored.scan_status == ScanStatus.TOO_LARGE
    shared_with_bob(stored, bob)
    assert bob_client.get(stored.get_download_url()).status_code == 403
    assert alice_client.get(stored.get_download_url()).status_code == 200
    settings.PORTAL_SCAN_UNSCANNABLE = "block"
    assert alice_client.get(stored.get_download_url()).status_code == 403


def test_a_file_clamd_itself_stops_reading_is_too_large(
    scanning: Clamd, upload: MakeFile, alice: User
) -> None:
    # Under our limit (100 MB), over this clamd's StreamMaxLength (1 MiB).
    stored = upload(alice, "big.bin", b"y" * (STREAM_MAX + 1024))
    assert stored.scan_status == ScanStatus.TOO_LARGE


def test_a_replaced_file_is_checked_again(
    scanning: Clamd, upload: MakeFile, alice: User, django_capture_on_commit_callbacks
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from files.uploads import intake

    stored = upload(alice, "notes.txt", b"fine")
    assert stored.scan_status == ScanStatus.CLEAN
    with django_capture_on_commit_callbacks(execute=True):
        intake.replace_file(stored, SimpleUploadedFile("notes.txt", EICAR))
    stored.refresh_from_db()
    assert stored.scan_status == ScanStatus.INFECTED


def test_staff_release_a_false_positive_in_the_admin(
    scanning: Clamd, upload: MakeFile, alice: User, bob: User, bob_client: Client, staff: User
) -> None:
    stored = upload(alice, "eicar.com", EICAR)
    shared_with_bob(stored, bob)
    staff.is_superuser = True
    staff.save()
    staff_client = Client()
    staff_client.force_login(staff)
    listing = staff_client.get("/admin/files/uploadedfile/?scan_status__exact=infected")
    assert "eicar.com" in listing.content.decode()
    response = staff_client.post(
        "/admin/files/uploadedfile/",
        {"action": "release", "_selected_action": [str(stored.pk)]},
    )
    assert response.status_code == 302
    stored.refresh_from_db()
    assert stored.scan_status == ScanStatus.CLEAN
    assert bob_client.get(stored.get_download_url()).status_code == 200
    assert site  # the admin is the stock site


def test_without_scanning_files_are_not_scanned_and_served_as_before(
    upload: MakeFile, alice: User, bob: User, bob_client: Client
) -> None:
    stored = upload(alice, "notes.txt", EICAR)
    assert stored.scan_status == ScanStatus.NOT_SCANNED
    shared_with_bob(stored, bob)
    assert bob_client.get(stored.get_download_url()).status_code == 200


@pytest.mark.parametrize(
    ("status", "owner", "other", "unscannable"),
    [
        (ScanStatus.NOT_SCANNED, None, None, "allow"),
        (ScanStatus.CLEAN, None, None, "allow"),
        (ScanStatus.PENDING, None, "pending", "allow"),
        (ScanStatus.INFECTED, "infected", "infected", "allow"),
        (ScanStatus.TOO_LARGE, None, "too_large", "allow"),
        (ScanStatus.TOO_LARGE, "too_large", "too_large", "block"),
    ],
)
def test_what_may_be_sent_to_whom(
    alice: User,
    bob: User,
    settings: Settings,
    status: str,
    owner: str | None,
    other: str | None,
    unscannable: str,
) -> None:
    from django.contrib.auth.models import AnonymousUser

    settings.PORTAL_SCAN_UNSCANNABLE = unscannable
    stored = UploadedFile(owner=alice, scan_status=status)
    assert access.withheld(stored, alice) == owner
    assert access.withheld(stored, bob) == other
    assert access.withheld(stored, AnonymousUser()) == other


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("stream: OK", clamd.Verdict()),
        ("stream: Eicar-Test-Signature FOUND", clamd.Verdict(True, "Eicar-Test-Signature")),
        ("INSTREAM size limit exceeded. ERROR", clamd.Verdict(too_large=True)),
    ],
)
def test_it_reads_clamds_answers(reply: str, verdict: clamd.Verdict) -> None:
    assert clamd.read_reply(reply) == verdict


@pytest.mark.parametrize("reply", ["", "stream: ERROR", "Can't allocate memory ERROR", "PONG"])
def test_an_answer_that_is_no_verdict_leaves_the_file_pending(reply: str) -> None:
    with pytest.raises(clamd.ScannerUnavailable):
        clamd.read_reply(reply)


def test_clamd_is_reached_on_its_unix_socket_too(clamd_server: Clamd) -> None:
    assert clamd.ping(clamd_server.socket)
    verdict = clamd.scan(clamd_server.socket, [EICAR[:30], EICAR[30:]])
    assert verdict.infected
    assert clamd.scan(clamd_server.socket, [b"fine"]) == clamd.Verdict()


def test_an_unreachable_clamd_is_unavailable_not_clean() -> None:
    from deploy.stack import free_port

    with pytest.raises(clamd.ScannerUnavailable):
        clamd.scan(f"127.0.0.1:{free_port()}", [b"x"])
    with pytest.raises(clamd.ScannerUnavailable):
        clamd.scan("/nonexistent/clamd.sock", [b"x"])
