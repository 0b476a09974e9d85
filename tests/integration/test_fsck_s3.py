"""portal_fsck on S3: the same findings through the Storage API, on a real SeaweedFS bucket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from accounts.models import User
from deploy import seaweedfs
from deploy.seaweedfs import SeaweedFS
from files.models import UploadedFile
from files.tests.test_fsck import fsck
from files.uploads import intake
from tests.availability import skip_or_fail

pytestmark = pytest.mark.integration

BUCKET = "portal-fsck"


@pytest.fixture(scope="module")
def own_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """A store of its own: each bucket takes volumes from the session's store."""
    reason = seaweedfs.unavailable()
    if reason:
        skip_or_fail(reason)
    with SeaweedFS(tmp_path_factory.mktemp("fsck-seaweedfs"), bucket=BUCKET) as store:
        yield store


@pytest.fixture
def bucket(settings: Settings, own_store: SeaweedFS) -> Iterator[Any]:
    """default_storage on the store's bucket; yields a boto3 client to plant damage with."""
    env = own_store.django_env()
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
    client = own_store.client()
    yield client
    for key in own_store.keys(BUCKET):
        client.delete_object(Bucket=BUCKET, Key=key)


@pytest.fixture
def owner(db: None) -> User:
    # Not the conftest's alice: that one is a signed-in client of a whole stack.
    return User.objects.create_user("alice", "alice@example.org", "password")


def upload(owner: User, name: str, content: bytes) -> UploadedFile:
    incoming = SimpleUploadedFile(name, content)
    [stored] = intake.store_uploads(owner, [intake.describe_upload(incoming, name)])
    return stored


def test_it_is_clean_after_uploads_to_the_bucket(owner: User, bucket: Any) -> None:
    upload(owner, "a.txt", b"aaa")
    upload(owner, "b.txt", b"")
    assert fsck() == (0, "2 rows, 2 stored objects: 0 problems, 0 repaired\n")


def test_it_finds_and_repairs_each_kind_of_damage_in_the_bucket(
    owner: User,
    bucket: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    gone = upload(owner, "gone.txt", b"12345")
    resized = upload(owner, "resized.txt", b"hello world")
    flipped = upload(owner, "flipped.txt", b"hello world")
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
