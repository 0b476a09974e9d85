"""The tus door (/files/tus/): the protocol, who may use an upload, the quota, the intake."""

from __future__ import annotations

import base64
import hashlib
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from accounts import tokens
from accounts.models import User
from files.models import Folder, ResumableUpload, ScanStatus, Share, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder
from files.tests.test_fsck import fsck
from files.uploads import quota, resumable
from files.uploads.tasks import expire_uploads

URL = "/files/tus/"
TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = "application/offset+octet-stream"


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def create(client: Client, length: int, name: str = "big.bin", **more: str) -> str:
    response = client.post(
        URL,
        b"",
        content_type=CHUNK,
        headers={
            **TUS,
            "Upload-Length": str(length),
            "Upload-Metadata": metadata(filename=name, **more),
        },
    )
    assert response.status_code == 201, response.content
    return response["Location"]


def patch(client: Client, location: str, offset: int, data: bytes, **headers: str) -> Any:
    return client.patch(
        location, data, content_type=CHUNK, headers={**TUS, "Upload-Offset": str(offset), **headers}
    )


def test_options_names_the_version_extensions_and_largest_size(alice_client: Client) -> None:
    response = alice_client.options(URL)
    assert response.status_code == 204
    assert response["Tus-Resumable"] == "1.0.0"
    assert response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) >= {
        "creation", "creation-with-upload", "termination", "expiration", "checksum"
    }  # fmt: skip
    assert response["Tus-Max-Size"] == str(settings.PORTAL_MAX_FILE_SIZE)
    assert "sha1" in response["Tus-Checksum-Algorithm"]


def test_an_upload_in_three_patches_becomes_a_file_with_its_digests(
    alice: User, alice_client: Client
) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    location = create(alice_client, len(data), "notes.txt")
    assert location.startswith("http://testserver/files/tus/")
    head = alice_client.head(location, headers=TUS)
    assert head["Upload-Offset"] == "0"
    assert head["Upload-Length"] == str(len(data))
    assert head["Cache-Control"] == "no-store"
    assert "GMT" in head["Upload-Expires"]
    for start, end in ((0, 300_000), (300_000, 700_000), (700_000, len(data))):
        response = patch(alice_client, location, start, data[start:end])
        assert response.status_code == 204, response.content
        assert response["Upload-Offset"] == str(end)
    stored = UploadedFile.objects.get()
    assert response["Portal-File-Id"] == str(stored.pk)
    assert (stored.owner, stored.name, stored.size) == (alice, "notes.txt", len(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.sha1 == hashlib.sha1(data, usedforsecurity=False).hexdigest()
    assert stored.crc32 == zlib.crc32(data)
    assert stored.file.name == f"u/{alice.pk}/{stored.pk}"
    assert Path(stored.file.path).read_bytes() == data
    assert not ResumableUpload.objects.exists()
    assert not list((Path(settings.MEDIA_ROOT) / "tus").iterdir())
    assert alice_client.head(location, headers=TUS).status_code == 404


def test_creation_with_upload_stores_a_small_file_in_one_request(alice_client: Client) -> None:
    response = alice_client.post(
        URL,
        b"%PDF-1.4 tiny",
        content_type=CHUNK,
        headers={**TUS, "Upload-Length": "13", "Upload-Metadata": metadata(filename="a.pdf")},
    )
    assert response.status_code == 201
    assert response["Upload-Offset"] == "13"
    stored = UploadedFile.objects.get()
    assert stored.content_type == "application/pdf"  # sniffed by the intake


def test_a_taken_name_is_kept_both_ways(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    make_file(alice, "notes.txt")
    location = create(alice_client, 3, "notes.txt")
    response = patch(alice_client, location, 0, b"new")
    assert response["Portal-File-Name"] == "notes%20%281%29.txt"
    assert response["Portal-Sent-Name"] == "notes.txt"


def test_an_empty_file_is_complete_as_it_is_created(alice_client: Client) -> None:
    location = create(alice_client, 0, "empty.txt")
    assert UploadedFile.objects.get().sha256 == hashlib.sha256(b"").hexdigest()
    assert alice_client.head(location, headers=TUS).status_code == 404  # done: gone


def test_a_finished_upload_is_completed_by_an_empty_patch(alice_client: Client) -> None:
    location = create(alice_client, 5, "left.txt")
    upload = ResumableUpload.objects.get()
    resumable.chunks_for().write(upload, iter([b"hello"]))
    digests = resumable.ResumableDigests(upload.digest_state)
    digests.update(b"hello")
    # As a worker killed after recording the last bytes, before completing: the lease ran out.
    ResumableUpload.objects.update(offset=5, digest_state=digests.state)
    response = patch(alice_client, location, 5, b"")
    assert response.status_code == 204
    assert UploadedFile.objects.get().name == "left.txt"


def test_a_wrong_offset_is_409(alice_client: Client) -> None:
    location = create(alice_client, 10)
    assert patch(alice_client, location, 5, b"12345").status_code == 409
    assert patch(alice_client, location, 0, b"12345").status_code == 204
    assert patch(alice_client, location, 0, b"12345").status_code == 409


def test_another_tus_version_is_412(alice_client: Client) -> None:
    headers = {"Tus-Resumable": "0.2.2", "Upload-Length": "3"}
    response = alice_client.post(URL, b"", content_type=CHUNK, headers=headers)
    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0"


def test_a_method_tus_does_not_use_is_405(alice_client: Client) -> None:
    assert alice_client.get(URL, headers=TUS).status_code == 405


def test_it_needs_a_filename_and_a_length(alice_client: Client) -> None:
    no_name = alice_client.post(URL, b"", content_type=CHUNK, headers={**TUS, "Upload-Length": "3"})
    assert no_name.status_code == 400
    assert no_name.json()["errors"][0]["code"] == "bad_name"
    no_length = alice_client.post(
        URL, b"", content_type=CHUNK, headers={**TUS, "Upload-Metadata": metadata(filename="a")}
    )
    assert no_length.status_code == 400
    assert (
        alice_client.post(
            URL, b"", content_type=CHUNK, headers={**TUS, "Upload-Length": "-1"}
        ).status_code
        == 400
    )


def test_bad_metadata_is_400_not_500(alice_client: Client) -> None:
    response = alice_client.post(
        URL,
        b"",
        content_type=CHUNK,
        headers={**TUS, "Upload-Length": "3", "Upload-Metadata": "filename !!!"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "bad_metadata"


def test_a_length_past_the_largest_file_is_413(alice_client: Client, settings: Settings) -> None:
    settings.PORTAL_MAX_FILE_SIZE = 100
    response = alice_client.post(
        URL,
        b"",
        content_type=CHUNK,
        headers={**TUS, "Upload-Length": "101", "Upload-Metadata": metadata(filename="a")},
    )
    assert response.status_code == 413


def test_a_patch_larger_than_one_request_may_be_is_413(
    alice_client: Client, settings: Settings
) -> None:
    settings.PORTAL_MAX_UPLOAD_SIZE = 4
    location = create(alice_client, 10)
    assert patch(alice_client, location, 0, b"12345").status_code == 413
    assert patch(alice_client, location, 0, b"1234").status_code == 204


def test_more_bytes_than_the_length_are_refused(alice_client: Client) -> None:
    location = create(alice_client, 3)
    assert patch(alice_client, location, 0, b"1234").status_code == 400
    assert not UploadedFile.objects.exists()


def test_a_patch_needs_the_chunk_content_type(alice_client: Client) -> None:
    location = create(alice_client, 3)
    response = alice_client.patch(
        location, b"abc", content_type="text/plain", headers={**TUS, "Upload-Offset": "0"}
    )
    assert response.status_code == 415


def test_the_length_is_reserved_and_a_creation_past_the_quota_is_413(
    alice: User, alice_client: Client
) -> None:
    alice.quota = 1000
    alice.save()
    create(alice_client, 600)
    assert quota.usage(alice).reserved == 600
    assert quota.usage(alice).free == 400
    response = alice_client.post(
        URL,
        b"",
        content_type=CHUNK,
        headers={**TUS, "Upload-Length": "401", "Upload-Metadata": metadata(filename="b")},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "over_quota"
    assert ResumableUpload.objects.count() == 1


def test_the_reservation_counts_for_one_request_uploads_too(
    alice: User, alice_client: Client
) -> None:
    alice.quota = 1000
    alice.save()
    create(alice_client, 990)
    response = alice_client.post(
        "/files/upload/",
        {"file": SimpleUploadedFile("small.txt", b"x" * 20)},
        headers={"Accept": "application/json"},
    )
    assert response.json()["errors"][0]["code"] == "over_quota"


def test_completion_moves_the_reservation_to_the_files(alice: User, alice_client: Client) -> None:
    location = create(alice_client, 5)
    patch(alice_client, location, 0, b"hello")
    usage = quota.usage(alice)
    assert (usage.used, usage.reserved) == (5, 0)


def test_termination_frees_the_reservation_and_the_bytes(alice: User, alice_client: Client) -> None:
    location = create(alice_client, 10)
    patch(alice_client, location, 0, b"12345")
    assert alice_client.delete(location, headers=TUS).status_code == 204
    assert quota.usage(alice).reserved == 0
    assert not list((Path(settings.MEDIA_ROOT) / "tus").iterdir())
    assert alice_client.head(location, headers=TUS).status_code == 404


@pytest.mark.parametrize("method", ["head", "patch", "delete"])
def test_a_stranger_gets_404(method: str, alice_client: Client, charlie_client: Client) -> None:
    location = create(alice_client, 10)
    if method == "patch":
        response = patch(charlie_client, location, 0, b"12345")
    else:
        response = getattr(charlie_client, method)(location, headers=TUS)
    assert response.status_code == 404
    assert ResumableUpload.objects.get().offset == 0


def test_only_the_creator_continues_an_upload_into_a_shared_folder(
    alice: User, bob: User, alice_client: Client, bob_client: Client, make_folder: MakeFolder
) -> None:
    shared = make_folder(alice, "Shared")
    grants.share(shared, bob, "editor")
    location = create(bob_client, 5, "from-bob.txt", folder=str(shared.pk))
    assert ResumableUpload.objects.get().owner == alice  # her quota
    assert alice_client.head(location, headers=TUS).status_code == 404
    assert patch(bob_client, location, 0, b"hello").status_code == 204
    stored = UploadedFile.objects.get()
    assert (stored.owner, stored.folder) == (alice, shared)


def test_an_editor_past_the_owners_quota_is_told_the_folder_is_full(
    alice: User, bob: User, bob_client: Client, make_folder: MakeFolder
) -> None:
    alice.quota = 10
    alice.save()
    shared = make_folder(alice, "Shared")
    grants.share(shared, bob, "editor")
    headers = {**TUS, "Upload-Length": "11",
               "Upload-Metadata": metadata(filename="a", folder=str(shared.pk))}  # fmt: skip
    response = bob_client.post(URL, b"", content_type=CHUNK, headers=headers)
    assert response.status_code == 413
    [error] = response.json()["errors"]
    assert (error["code"], error["message"]) == ("over_quota", quota.OTHERS_FULL)


def test_a_folder_the_user_may_not_write_into_is_404(
    alice: User, bob: User, bob_client: Client, make_folder: MakeFolder
) -> None:
    viewed = make_folder(alice, "Viewed")
    grants.share(viewed, bob)  # viewer
    headers = {**TUS, "Upload-Length": "3"}
    for folder in (str(viewed.pk), "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        headers["Upload-Metadata"] = metadata(filename="a", folder=folder)
        assert bob_client.post(URL, b"", content_type=CHUNK, headers=headers).status_code == 404


def test_an_upload_ends_when_its_folder_is_unshared(
    alice: User, bob: User, bob_client: Client, make_folder: MakeFolder
) -> None:
    shared = make_folder(alice, "Shared")
    share = grants.share(shared, bob, "editor")
    location = create(bob_client, 10, folder=str(shared.pk))
    share.delete()
    assert patch(bob_client, location, 0, b"12345").status_code == 404
    assert not ResumableUpload.objects.exists()


def test_a_directory_is_created_below_the_folder(alice: User, alice_client: Client) -> None:
    location = create(alice_client, 2, "a.txt", directory="Photos/2026")
    patch(alice_client, location, 0, b"hi")
    stored = UploadedFile.objects.get()
    assert stored.folder is not None and stored.folder.name == "2026"
    assert Folder.objects.get(name="Photos").owner == alice


def test_a_bad_folder_name_in_directory_is_refused_at_creation(alice_client: Client) -> None:
    headers = {**TUS, "Upload-Length": "3",
               "Upload-Metadata": metadata(filename="a", directory="ok/ \u200b /b")}  # fmt: skip
    response = alice_client.post(URL, b"", content_type=CHUNK, headers=headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "bad_name"
    assert not ResumableUpload.objects.exists()


def test_replace_puts_the_bytes_into_the_file_of_that_name_and_keeps_a_version(
    alice: User, bob: User, alice_client: Client, make_file: MakeFile
) -> None:
    original = make_file(alice, "report.txt", b"first draft")
    share = grants.share(original, bob)
    _, token = grants.create_link(original)
    old_key = original.file.name
    location = create(alice_client, 12, "report.txt", on_conflict="replace")
    response = patch(alice_client, location, 0, b"second draft")
    assert response.status_code == 204
    assert response["Portal-File-Id"] == str(original.pk)
    assert "Portal-Sent-Name" not in response  # same name: nothing was numbered
    replaced = UploadedFile.objects.get()
    assert (replaced.pk, replaced.name) == (original.pk, "report.txt")
    assert replaced.sha256 == hashlib.sha256(b"second draft").hexdigest()
    assert Path(replaced.file.path).read_bytes() == b"second draft"
    [version] = replaced.versions.all()
    assert (version.stored.name, version.size) == (old_key, len(b"first draft"))
    assert Path(version.stored.path).read_bytes() == b"first draft"
    assert Share.objects.get(pk=share.pk).file == replaced
    assert grants.find_link(token).file == replaced  # type: ignore[union-attr]
    # The reservation became the file: the quota counts the new bytes and the version.
    assert quota.usage(alice).reserved == 0
    assert quota.usage(alice).used == len(b"second draft") + len(b"first draft")
    assert not ResumableUpload.objects.exists()
    assert fsck()[0] == 0  # the placed key is one of ours: no orphan, no missing bytes


def test_replace_with_no_file_of_that_name_stores_a_new_one(alice_client: Client) -> None:
    location = create(alice_client, 3, "new.txt", on_conflict="replace")
    assert patch(alice_client, location, 0, b"new").status_code == 204
    assert UploadedFile.objects.get().name == "new.txt"


def test_keep_both_numbers_the_name_and_leaves_the_file_alone(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    original = make_file(alice, "report.txt", b"first draft")
    location = create(alice_client, 3, "report.txt", on_conflict="keep_both")
    response = patch(alice_client, location, 0, b"new")
    assert response["Portal-File-Name"] == "report%20%281%29.txt"
    original.refresh_from_db()
    assert original.sha256 == hashlib.sha256(b"first draft").hexdigest()
    assert not original.versions.exists()


def test_another_on_conflict_is_400(alice_client: Client) -> None:
    response = alice_client.post(
        URL,
        b"",
        content_type=CHUNK,
        headers={
            **TUS,
            "Upload-Length": "3",
            "Upload-Metadata": metadata(filename="a", on_conflict="overwrite"),
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "bad_on_conflict"
    assert not ResumableUpload.objects.exists()


def test_a_completed_upload_is_withheld_until_scanned(
    alice: User,
    bob: User,
    alice_client: Client,
    bob_client: Client,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # Scanning on, clamd not answering: the scan task keeps the file pending.
    settings.PORTAL_SCAN = "clamd"
    settings.PORTAL_CLAMD_ADDRESS = "127.0.0.1:9"
    location = create(alice_client, 5, "new.txt")
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert patch(alice_client, location, 0, b"hello").status_code == 204
    assert queued  # the scan task, queued on commit as for any upload
    stored = UploadedFile.objects.get()
    assert stored.scan_status == ScanStatus.PENDING
    grants.share(stored, bob)
    assert bob_client.get(stored.get_download_url()).status_code == 409  # "being checked"
    assert alice_client.get(stored.get_download_url()).status_code == 200  # the owner's own


def test_a_matching_sha1_checksum_is_accepted_and_a_wrong_one_is_460(alice_client: Client) -> None:
    location = create(alice_client, 10)
    wrong = base64.b64encode(hashlib.sha1(b"other", usedforsecurity=False).digest()).decode()
    response = patch(alice_client, location, 0, b"12345", **{"Upload-Checksum": f"sha1 {wrong}"})
    assert response.status_code == 460
    assert ResumableUpload.objects.get().offset == 0
    right = base64.b64encode(hashlib.sha1(b"12345", usedforsecurity=False).digest()).decode()
    response = patch(alice_client, location, 0, b"12345", **{"Upload-Checksum": f"sha1 {right}"})
    assert response.status_code == 204
    assert response["Upload-Offset"] == "5"
    assert (
        patch(alice_client, location, 5, b"67890", **{"Upload-Checksum": "md5 x"}).status_code
        == 400
    )


def test_the_session_door_needs_the_csrf_token(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    headers = {**TUS, "Upload-Length": "3", "Upload-Metadata": metadata(filename="a")}
    assert client.post(URL, b"", content_type=CHUNK, headers=headers).status_code == 403
    client.get("/files/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    assert (
        client.post(
            URL, b"", content_type=CHUNK, headers={**headers, "X-CSRFToken": token}
        ).status_code
        == 201
    )


def test_the_bearer_door_needs_no_csrf_token(alice: User) -> None:
    _, raw = tokens.create_token(alice, "tus")
    client = Client(enforce_csrf_checks=True)
    auth = {"Authorization": f"Bearer {raw}"}
    location = create_with(client, auth)
    response = patch(client, location, 0, b"abc", **auth)
    assert response.status_code == 204
    assert UploadedFile.objects.get().owner == alice


def create_with(client: Client, auth: dict[str, str]) -> str:
    headers = {**TUS, **auth, "Upload-Length": "3", "Upload-Metadata": metadata(filename="a")}
    response = client.post(URL, b"", content_type=CHUNK, headers=headers)
    assert response.status_code == 201, response.content
    return response["Location"]


def test_a_wrong_token_is_401_and_a_read_only_one_403(alice: User) -> None:
    client = Client()
    headers = {**TUS, "Upload-Length": "3", "Upload-Metadata": metadata(filename="a")}
    wrong = client.post(
        URL, b"", content_type=CHUNK, headers={**headers, "Authorization": "Bearer ptk_" + "x" * 43}
    )
    assert wrong.status_code == 401
    _, raw = tokens.create_token(alice, "reader", read_only=True)
    assert (
        client.post(
            URL, b"", content_type=CHUNK, headers={**headers, "Authorization": f"Bearer {raw}"}
        ).status_code
        == 403
    )


def test_anonymous_is_sent_to_log_in(client: Client, db: None) -> None:
    headers = {**TUS, "Upload-Length": "3", "Upload-Metadata": metadata(filename="a")}
    response = client.post(URL, b"", content_type=CHUNK, headers=headers)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not ResumableUpload.objects.exists()


def test_the_expiry_task_removes_expired_uploads_and_their_reservations(
    alice: User, alice_client: Client
) -> None:
    location = create(alice_client, 10)
    patch(alice_client, location, 0, b"12345")
    create(alice_client, 10, "fresh.bin")
    ResumableUpload.objects.filter(name="big.bin").update(
        expires=timezone.now() - timedelta(seconds=1)
    )
    assert len(resumable.stale()) == 1
    result = expire_uploads.enqueue()
    assert result.return_value == {"expired": 1, "completed": 0}
    assert list(ResumableUpload.objects.values_list("name", flat=True)) == ["fresh.bin"]
    assert quota.usage(alice).reserved == 10
    assert [p.name for p in (Path(settings.MEDIA_ROOT) / "tus").iterdir()] == [
        str(ResumableUpload.objects.get().pk)
    ]
    assert alice_client.head(location, headers=TUS).status_code == 404


def test_a_finished_upload_a_dead_worker_left_is_completed_by_the_task(
    alice_client: Client,
) -> None:
    location = create(alice_client, 5)
    patch(alice_client, location, 0, b"hello")
    assert UploadedFile.objects.count() == 1  # the normal path; now the abnormal one:
    location = create(alice_client, 5, "left.txt")
    upload = ResumableUpload.objects.get()
    chunks = resumable.chunks_for()
    chunks.write(upload, iter([b"hello"]))
    digests = resumable.ResumableDigests(upload.digest_state)
    digests.update(b"hello")
    ResumableUpload.objects.filter(pk=upload.pk).update(offset=5, digest_state=digests.state)
    assert expire_uploads.enqueue().return_value == {"expired": 0, "completed": 1}
    assert (
        UploadedFile.objects.filter(name="left.txt").get().sha256
        == hashlib.sha256(b"hello").hexdigest()
    )


def test_a_lost_digest_state_is_rebuilt_from_the_stored_bytes(alice_client: Client) -> None:
    location = create(alice_client, 10)
    patch(alice_client, location, 0, b"12345")
    ResumableUpload.objects.update(digest_state=None)  # as without a usable libcrypto
    patch(alice_client, location, 5, b"67890")
    stored = UploadedFile.objects.get()
    assert stored.sha256 == hashlib.sha256(b"1234567890").hexdigest()
    assert stored.crc32 == zlib.crc32(b"1234567890")


def test_resumable_digests_resume_from_their_saved_state() -> None:
    first = resumable.ResumableDigests(fresh=True)
    first.update(b"a" * 1000)
    second = resumable.ResumableDigests(first.state)
    second.update(b"b" * 77)
    whole = b"a" * 1000 + b"b" * 77
    assert second.sha256 == hashlib.sha256(whole).hexdigest()
    assert second.sha1 == hashlib.sha1(whole, usedforsecurity=False).hexdigest()
    assert second.crc32 == zlib.crc32(whole)


def test_s3_parts_are_at_least_5_mib_and_at_most_10000() -> None:
    assert resumable.S3Chunks.part_size(10) == 8 * 1024 * 1024
    big = 200 * 1024**3
    size = resumable.S3Chunks.part_size(big)
    assert size >= 5 * 1024 * 1024 and -(-big // size) <= 10_000


def test_fsck_reports_stale_uploads_and_leftover_bytes_and_repairs_them(
    alice_client: Client,
) -> None:
    from django.core.files.storage import default_storage

    from files.integrity import fsck

    location = create(alice_client, 10)
    patch(alice_client, location, 0, b"12345")
    create(alice_client, 10, "fresh.bin")
    ResumableUpload.objects.filter(name="big.bin").update(
        expires=timezone.now() - timedelta(hours=1)
    )
    area = Path(settings.MEDIA_ROOT) / "tus"
    (area / "0e5f6c1e-0000-4000-8000-000000000000").write_bytes(b"left behind")
    report = fsck.check(default_storage)
    stale = sorted(p.detail for p in report.of(fsck.Kind.STALE))
    assert len(stale) == 2
    assert "1 stored objects of no unfinished upload" in stale[0]
    assert "'big.bin'" in stale[1] and "5 of 10 bytes: expired" in stale[1]
    fsck.repair(report, default_storage, orphan_age=timedelta(hours=1))
    assert not report.unrepaired
    assert sorted(p.name for p in area.iterdir()) == [str(ResumableUpload.objects.get().pk)]
    assert not fsck.check(default_storage).of(fsck.Kind.STALE)


def test_wrong_tokens_lock_the_address_out_with_429(alice: User, settings: Settings) -> None:
    client = Client()
    headers = {**TUS, "Upload-Length": "3", "Upload-Metadata": metadata(filename="a")}
    wrong = {**headers, "Authorization": "Bearer ptk_" + "x" * 43}
    statuses = [
        client.post(URL, b"", content_type=CHUNK, headers=wrong).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT + 1)
    ]
    assert statuses[0] == 401
    assert statuses[-1] == 429
    _, raw = tokens.create_token(alice, "right")
    locked = client.post(
        URL, b"", content_type=CHUNK, headers={**headers, "Authorization": f"Bearer {raw}"}
    )
    assert locked.status_code == 429  # a right token from a locked-out address waits too
    assert int(locked["Retry-After"]) > 0
