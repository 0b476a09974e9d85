from __future__ import annotations

import logging

from django.core.files.storage import Storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from files.models import UploadedFile

logger = logging.getLogger(__name__)


@receiver(post_delete, sender=UploadedFile)
def delete_stored_bytes(
    sender: type[UploadedFile], instance: UploadedFile, **kwargs: object
) -> None:
    """Remove the bytes once the row is really gone.

    A signal rather than UploadedFile.delete() so that admin bulk deletes and
    cascades from a deleted user are covered too; on_commit so that a rolled
    back delete keeps its file.
    """
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: _delete_after_commit(storage, name))


def _delete_after_commit(storage: Storage, name: str) -> None:
    """Delete the bytes; if the store fails, log it rather than fail the request.

    The row is gone and committed, so the person's delete has happened; a 500
    would tell them otherwise. The bytes left are an orphan that
    `manage.py portal_fsck --repair` removes.
    """
    try:
        storage.delete(name)
    except Exception:  # any store error (OSError, botocore's): the same answer
        logger.exception("could not delete %s after its row; portal_fsck --repair will", name)
