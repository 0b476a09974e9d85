from __future__ import annotations

import logging
from functools import partial

from django.core.files.storage import Storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from files.models import FileVersion, UploadedFile, thumbnail_key

logger = logging.getLogger(__name__)


@receiver(post_delete, sender=UploadedFile)
def delete_stored_bytes(
    sender: type[UploadedFile], instance: UploadedFile, **kwargs: object
) -> None:
    """Remove the bytes and the thumbnail once the row is really gone.

    A signal rather than UploadedFile.delete() so that admin bulk deletes and
    cascades from a deleted user are covered too; on_commit so that a rolled
    back delete keeps its file. The thumbnail's derived key goes too, even
    if this instance was loaded before the task recorded it.
    """
    if not instance.file.name:
        return
    delete_after_commit(instance.file.storage, stored_keys(instance))


@receiver(post_delete, sender=FileVersion)
def delete_version_bytes(
    sender: type[FileVersion], instance: FileVersion, **kwargs: object
) -> None:
    """A version's bytes (and any thumbnail derived from its key) go after its row commits."""
    key = instance.stored.name
    delete_after_commit(instance.stored.storage, sorted({key, thumbnail_key(key)}))


def stored_keys(stored: UploadedFile) -> list[str]:
    """The keys of a file's bytes and of its thumbnail (recorded or derived)."""
    keys = {stored.file.name, thumbnail_key(stored.file.name), stored.thumbnail.name}
    return sorted(keys - {""})


def delete_after_commit(storage: Storage, keys: list[str]) -> None:
    """Delete `keys` from `storage` once the transaction that dropped their rows commits.

    Bytes go only after the change that drops them commits: a rolled back
    delete or replace keeps its bytes.
    """
    transaction.on_commit(partial(_delete_now, storage, keys))


def _delete_now(storage: Storage, names: list[str]) -> None:
    """Delete the bytes; if the store fails, log it rather than fail the request.

    The row is gone and committed, so the person's delete has happened; a 500
    would tell them otherwise. The bytes left are an orphan that
    `manage.py portal_fsck --repair` removes.
    """
    for name in names:
        try:
            storage.delete(name)  # a name that is not there (no thumbnail) is no error
        except Exception:  # any store error (OSError, botocore's): the same answer
            logger.exception("could not delete %s after its row; portal_fsck --repair will", name)
