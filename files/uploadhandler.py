from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from files.content import HEAD_SIZE


class HashingUploadHandler(TemporaryFileUploadHandler):
    """Streams each upload to a temporary file, hashing it on the way.

    The sha256 and the first bytes (for content sniffing) are taken while the
    data passes, so a 2 GB upload is neither held in memory nor read twice.
    Past PORTAL_MAX_UPLOAD_SIZE it stops writing but keeps counting, so the
    form can reject the file by its real size without filling the disk.
    """

    def new_file(self, *args: object, **kwargs: object) -> None:
        super().new_file(*args, **kwargs)
        self.sha256 = hashlib.sha256()
        self.head = b""
        self.max_size = settings.PORTAL_MAX_UPLOAD_SIZE

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > self.max_size:
            return None
        self.sha256.update(raw_data)
        if len(self.head) < HEAD_SIZE:
            self.head += raw_data[: HEAD_SIZE - len(self.head)]
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int) -> TemporaryUploadedFile:
        file = super().file_complete(file_size)
        file.sha256 = self.sha256.hexdigest()
        file.head = self.head
        return file
