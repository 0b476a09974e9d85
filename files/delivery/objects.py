"""What delivery needs to know about the bytes it sends, whoever owns them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage

from files.models import UploadedFile


@dataclass(frozen=True)
class StoredObject:
    """Bytes in default_storage under `key`, and how to present them.

    An UploadedFile is one (`StoredObject.of`); a thumbnail or any other
    derived object builds its own with its key, type and validator.
    """

    key: str
    size: int
    content_type: str
    # The name people see in Content-Disposition; cleaned again before use.
    name: str
    # A strong validator, unquoted: the same bytes always have the same one.
    etag: str
    modified: datetime
    # The content was checked and may be shown inline when a page asks for it.
    inline_allowed: bool = False

    @classmethod
    def of(cls, upload: UploadedFile) -> StoredObject:
        return cls(
            key=upload.file.name,
            size=upload.size,
            content_type=upload.content_type,
            name=upload.name,
            etag=upload.sha256,
            modified=upload.created,
            inline_allowed=upload.previewable,
        )

    def local_path(self) -> Path:
        """The absolute path of a file in local storage, proven to lie under MEDIA_ROOT."""
        root = Path(settings.MEDIA_ROOT).resolve()
        path = Path(default_storage.path(self.key)).resolve()
        # Keys are ours, never user input; this only guards against a corrupted row.
        if not path.is_relative_to(root):
            raise SuspiciousFileOperation(f"{self.key}: stored path leaves MEDIA_ROOT")
        return path
