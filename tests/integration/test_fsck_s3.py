"""portal_fsck on S3: the same findings through the Storage API, on a real SeaweedFS bucket."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from accounts.models import User
from deploy.seaweedfs import SeaweedFS
from files import services
from files.models import UploadedFile

pytestmark = pytest.mark.integration

BUCKET = "portal-fsck"


@pytest.fixture
def bucket(settings: Settings, seaweedfs: SeaweedFS) -> Iterator[Any]:
    """default_storage on a fresh bucket; yields a boto3 client to plant damage with."""
    if BUCKET not in {b["Name"] for b in seaweedfs.client().list_buckets()["Buckets"]}:
        seaweedfs.create_bucket(BUCKET)
    env = seaweedfs.django_env(BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": env["AWS_S3_ENDPOINT_URL"],
                "region_name": env["AWS_S3_REGION_NAME"],
                "access_key": env["AWS_ACCESS_KEY_ID"],
                "secret_key": env["AWS_SECRET_ACCESS_KEY"],
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
            },
        },
    }
    client = seaweedfs.client()
    yield client
    for key in seaweedfs.keys(BUCKET):
        client.delete_object(Bucket=BUCKET, Key=key)


@pytest.fixture
def owner(db: None) -> User:
    # Not the conftest's alice: that one is a signed-in client of a whole stack.
    return User.objects.create_user("alice", "alice@example.org", "password")


def store(owner: User, name: str, content: bytes) -> UploadedFile:
    upload = SimpleUploadedFile(name, content)
    [stored] = services.store_uploads(owner, [services.describe_upload(upload, name)])
    return stored


def fsck(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("portal_fsck", *args, stdout=out, stderr=out)
    except CommandError as error:
        return 1, f"{out.getvalue()}{error}\n"
    return 0, out.getvalue()


def test_it_is_clean_after_uploads_to_the_bucket(owner: User, bucket: Any) -> None:
    store(owner, "a.txt", b"aaa")
    store(owner, "b.txt", b"")
    assert fsck() == (0, "2 rows, 2 stored objects: 0 problems, 0 repaired\n")


def test_it_finds_and_repairs_each_kind_of_damage_in_the_bucket(
    owner: User,
    bucket: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    gone = store(owner, "gone.txt", b"12345")
    resized = store(owner, "resized.txt", b"hello world")
    flipped = store(owner, "flipped.txt", b"hello world")
    orphan = f"u/{owner.pk}/00000000-0000-4000-8000-000000000000"
    bucket.delete_object(Bucket=BUCKET, Key=gone.file.name)
    bucket.put_object(Bucket=BUCKET, Key=resized.file.name, Body=b"hello")
    bucket.put_object(Bucket=BUCKET, Key=flipped.file.name, Body=b"HELLO WORLD")
    bucket.put_object(Bucket=BUCKET, Key=orphan, Body=b"left")

    status, output = fsck()
    assert status == 1
    assert f"missing  {gone.file.name}: file {gone.pk}: 5 bytes recorded" in output
    assert f"size     {resized.file.name}: file {resized.pk}: 5 bytes stored, 11 recorded" in output
    assert f"sha256   {flipped.file.name}: file {flipped.pk}: content changed" in output
    assert f"orphan   {orphan}: 4 bytes, no row\n" in output
    assert f"quota    u/{owner.pk}/" in output

    # Just written, the orphan is young: --repair leaves it unless told its age.
    assert f"orphan   {orphan}: 4 bytes, no row\n" in fsck("--repair")[1]
    with django_capture_on_commit_callbacks(execute=True):
        status, output = fsck("--repair", "--orphan-age", "0", "--delete-missing")

    assert status == 1  # the two mismatches stay, for a person to judge
    assert f"orphan   {orphan}: 4 bytes, no row (repaired)" in output
    assert (
        f"missing  {gone.file.name}: file {gone.pk}: 5 bytes recorded, nothing stored (repaired)"
        in output
    )
    remaining = {o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    assert remaining == {resized.file.name, flipped.file.name}
    assert not UploadedFile.objects.filter(pk=gone.pk).exists()
