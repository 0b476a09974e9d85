"""Storing uploads: quota, metadata and the all-or-nothing save."""

from __future__ import annotations

import hashlib
import logging

from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile as Upload
from django.db import transaction
from django.template.defaultfilters import filesizeformat

from accounts.models import User
from files.content import HEAD_SIZE, detect_content_type
from files.models import UploadedFile
from files.uploadhandler import HashedUpload

logger = logging.getLogger(__name__)
# What the S3 backend raises when the store is down, slow or refuses us;
# boto3's transfer manager wraps a failed upload in a Boto3Error.
STORE_ERRORS = (BotoCoreError, ClientError, Boto3Error)


class StoreUnavailable(Exception):
    """The object store did not take the bytes: nothing was saved, try again later."""


def describe_upload(upload: Upload, name: str) -> UploadedFile:
    """An unsaved UploadedFile for `upload`: name, size, content type and sha256.

    HashingUploadHandler has hashed the bytes while they arrived; only a file
    that came another way (a test, a script) is read here.
    """
    if isinstance(upload, HashedUpload):
        sha256, head = upload.sha256, upload.head
    else:
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        sha256 = digest.hexdigest()
        upload.seek(0)
        head = upload.read(HEAD_SIZE)
    return UploadedFile(
        file=upload,
        name=name,
        size=upload.size or 0,
        content_type=detect_content_type(name, head, upload),
        sha256=sha256,
    )


def check_quota(owner: User, incoming_bytes: int) -> None:
    quota = owner.effective_quota()
    if quota is None:
        return
    used = owner.storage_used()
    if used + incoming_bytes > quota:
        raise ValidationError(
            "Not enough space: %(incoming)s would take you past your quota of %(quota)s "
            "(%(free)s free).",
            code="over_quota",
            params={
                "incoming": filesizeformat(incoming_bytes),
                "quota": filesizeformat(quota),
                "free": filesizeformat(max(quota - used, 0)),
            },
        )


def store_uploads(owner: User, files: list[UploadedFile]) -> list[UploadedFile]:
    """Save every file for `owner`, or none of them.

    The owner's row is locked so that two concurrent uploads cannot both pass
    the quota check; bytes already moved into storage are removed if anything
    fails, so a failed upload leaves neither a row nor an orphaned file.
    Raises StoreUnavailable when the store fails (the view answers 503).

    The bytes are stored before the rows commit, so a row never exists without
    them. `durable`: this must be the outermost transaction, because a caller's
    transaction rolled back after ours would drop the rows and keep the bytes,
    and nothing here would know. (A worker killed between the two leaves bytes
    without a row: `manage.py portal_fsck --repair` removes them.)
    """
    stored: list[UploadedFile] = []  # the ones whose save() has begun
    try:
        with transaction.atomic(durable=True):
            locked = User.objects.select_for_update().get(pk=owner.pk)
            check_quota(locked, sum(f.size for f in files))
            for upload in files:
                upload.owner = owner
                stored.append(upload)
                upload.save()  # FileField.pre_save moves the bytes into storage
    except BaseException as error:
        for upload in stored:
            # _committed: the bytes reached storage, and file.name is now our key.
            if upload.file._committed:
                _remove_quietly(upload)
        if isinstance(error, STORE_ERRORS):
            raise StoreUnavailable(str(error)) from error
        raise
    return files


def _remove_quietly(upload: UploadedFile) -> None:
    """Best effort: a store that just failed may fail this too; the row is gone either way."""
    try:
        upload.file.storage.delete(upload.file.name)
    except STORE_ERRORS:
        logger.warning("could not remove %s after a failed upload", upload.file.name)
