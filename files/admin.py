from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html

from files.models import UploadedFile

DETAIL_FIELDS = (
    "name",
    "owner",
    "human_size",
    "content_type",
    "sha256",
    "created",
    "stored_as",
    "download_link",
)


@admin.register(UploadedFile)
class UploadedFileAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "human_size", "content_type", "created", "download_link"]
    list_filter = ["content_type", "created"]
    search_fields = ["name", "owner__username", "owner__email"]
    list_select_related = ["owner"]
    date_hierarchy = "created"
    fields = DETAIL_FIELDS
    # Only the name is editable: the rest describes the stored bytes.
    readonly_fields = tuple(field for field in DETAIL_FIELDS if field != "name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Files arrive through the upload form, which hashes, sniffs and checks quotas.
        return False

    @admin.display(description="size", ordering="size")
    def human_size(self, upload: UploadedFile) -> str:
        return filesizeformat(upload.size)

    @admin.display(description="storage key")
    def stored_as(self, upload: UploadedFile) -> str:
        # Not a link: stored bytes are reachable only through the download view.
        return upload.file.name

    @admin.display(description="download")
    def download_link(self, upload: UploadedFile) -> str:
        return format_html('<a href="{}">download</a>', upload.get_download_url())
