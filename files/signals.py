from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from files.models import UploadedFile


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
        transaction.on_commit(lambda: storage.delete(name))
