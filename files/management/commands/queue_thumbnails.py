"""Queue thumbnails for image files that have none: those uploaded before thumbnails existed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from files.models import UploadedFile
from files.previews.images import IMAGE_FORMATS
from files.previews.tasks import make_thumbnail


class Command(BaseCommand):
    help = (
        "Queue a thumbnail task for every JPEG, PNG, GIF and WebP file without one "
        "(--all: for every one, to render them again). The worker does the rest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", action="store_true", dest="everything", help="re-render existing ones too"
        )

    def handle(self, *args: Any, everything: bool, **options: Any) -> None:
        images = UploadedFile.objects.filter(content_type__in=IMAGE_FORMATS)
        if not everything:
            # Images Pillow refused (bombs, broken files) have none either: queued again, cheaply.
            images = images.filter(thumbnail="")
        queued = 0
        for file_id in images.values_list("pk", flat=True).iterator():
            make_thumbnail.enqueue(str(file_id))
            queued += 1
        self.stdout.write(f"Queued {queued} thumbnail{'' if queued == 1 else 's'}.")
