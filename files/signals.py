from __future__ import annotations

from functools import partial

from django.core.files.storage import Storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from files.models import UploadedFile, thumbnail_key


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
    storage = instance.file.storage
    if not instance.file.name:
        return
    names = {instance.file.name, thumbnail_key(instance.file.name), instance.thumbnail.name}
    transaction.on_commit(partial(_delete, storage, sorted(names - {""})))


def _delete(storage: Storage, names: list[str]) -> None:
    for name in names:
        storage.delete(name)  # a name that is not there (no thumbnail) is no error
