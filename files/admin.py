from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from files import names
from files.forms import RenameForm
from files.models import DownloadEvent, Drop, Link, ScanStatus, Share, UploadedFile
from files.previews.tasks import schedule_thumbnails
from files.sharing import grants
from files.uploads import intake

DETAIL_FIELDS = (
    "name",
    "owner",
    "human_size",
    "content_type",
    "sha256",
    "created",
    "stored_as",
    "download_link",
    "scan_status",
    "scan_signature",
    "scanned",
    "versions_kept",
)


class TrashFilter(admin.SimpleListFilter):
    """Staff see trashed files too (they count against the quota); this tells them apart."""

    title = "trash"
    parameter_name = "trash"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("in", "In the trash"), ("out", "Not in the trash")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[UploadedFile]
    ) -> QuerySet[UploadedFile]:
        if self.value() == "in":
            return queryset.filter(trashed_at__isnull=False)
        if self.value() == "out":
            return queryset.filter(trashed_at__isnull=True)
        return queryset


class AdminRenameForm(RenameForm):
    """The rename form's rules, and a name taken beside the file as a form error.

    The admin's own check skips the unique constraints, which involve the
    folder, a field it does not edit: the clash would be an IntegrityError page.
    """

    def clean_name(self) -> str:
        name = super().clean_name()
        upload = self.instance
        kind = names.taken(upload.owner_id, upload.folder, name, file=upload)
        if kind is not None:
            raise names.name_taken(name, upload.folder, kind)
        return name


@admin.register(UploadedFile)
class UploadedFileAdmin(admin.ModelAdmin):
    form = AdminRenameForm
    list_display = [
        "name",
        "owner",
        "human_size",
        "content_type",
        "created",
        "scan_status",
        "download_link",
    ]
    # "Quarantined" lists what ClamAV caught: delete it, or release a false positive.
    list_filter = ["scan_status", TrashFilter, "content_type", "created"]
    actions = ["release"]
    search_fields = ["name", "owner__username", "owner__email"]
    list_select_related = ["owner"]
    date_hierarchy = "created"
    fields = DETAIL_FIELDS
    # Only the name is editable: the rest describes the stored bytes.
    readonly_fields = tuple(field for field in DETAIL_FIELDS if field != "name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Files arrive through the upload form, which hashes, sniffs and checks quotas.
        return False

    def save_model(self, request: HttpRequest, obj: UploadedFile, form: Any, change: bool) -> None:
        # Under the owner's lock, as every rename: the form's check may be stale by now.
        intake.rename_file(obj, obj.name)

    @admin.action(description="Release from quarantine (mark clean)")
    def release(self, request: HttpRequest, queryset: QuerySet[UploadedFile]) -> None:
        """A false positive, by staff's judgement: the file is sent again like any clean one."""
        held = [ScanStatus.INFECTED, ScanStatus.PENDING, ScanStatus.TOO_LARGE]
        released = list(queryset.filter(scan_status__in=held))
        UploadedFile.objects.filter(pk__in=[f.pk for f in released]).update(
            scan_status=ScanStatus.CLEAN, scanned=timezone.now()
        )
        for upload in released:
            upload.scan_status = ScanStatus.CLEAN
        schedule_thumbnails(released)
        self.message_user(request, f"Released {len(released)} file(s).")

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

    @admin.display(description="earlier versions")
    def versions_kept(self, upload: UploadedFile) -> str:
        # Each through the version's download view: the same check and quarantine as the file's.
        kept = upload.versions.select_related("uploaded_by").order_by("-replaced")
        if not kept:
            return "none"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li>{} · {} · {} · {} · <a href="{}">download</a></li>',
                (
                    (
                        f"{version.modified:%Y-%m-%d %H:%M}",
                        filesizeformat(version.size),
                        f"by {version.uploaded_by.get_username() if version.uploaded_by else '—'}",
                        version.get_scan_status_display(),
                        version.get_download_url(),
                    )
                    for version in kept
                ),
            ),
        )


@admin.action(description="Revoke the selected shares (delete them)")
def revoke_shares(modeladmin: admin.ModelAdmin, request: HttpRequest, shares: QuerySet) -> None:
    count, _ = shares.delete()
    modeladmin.message_user(request, f"Revoked {count} share(s).")


@admin.register(Share)
class ShareAdmin(admin.ModelAdmin):
    list_display = ["item", "owner", "recipient", "role", "created"]
    list_filter = ["role", "created"]
    search_fields = ["recipient__username", "file__name", "folder__name"]
    list_select_related = ["file__owner", "folder__owner", "recipient"]
    actions = [revoke_shares]
    fields = ["file", "folder", "recipient", "role", "created"]
    readonly_fields = ["file", "folder", "recipient", "created"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Owners share from the item's page, where the rules (no editor on a file) apply.
        return False

    @admin.display(description="owner")
    def owner(self, share: Share) -> str:
        return str(share.item.owner)


@admin.action(description="Revoke the selected links")
def revoke_links(modeladmin: admin.ModelAdmin, request: HttpRequest, links: QuerySet) -> None:
    count = grants.revoke(links)
    modeladmin.message_user(request, f"Revoked {count} link(s).")


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "item", "expires", "downloads", "download_limit", "revoked"]
    list_filter = ["kind", "revoked", "expires"]
    search_fields = ["label", "file__name", "folder__name"]
    list_select_related = ["file", "folder"]
    actions = [revoke_links]
    # Read-only: staff revoke with the action; the token exists only as its hash.
    fields = readonly_fields = (
        "kind",
        "file",
        "folder",
        "label",
        "expires",
        "download_limit",
        "downloads",
        "revoked",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Drop)
class DropAdmin(admin.ModelAdmin):
    list_display = ["file", "dropped_by", "ip", "link", "created"]
    list_filter = ["created"]
    search_fields = ["dropped_by", "file__name", "ip"]
    list_select_related = ["file", "link__folder"]
    readonly_fields = ["file", "dropped_by", "ip", "link", "created"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(DownloadEvent)
class DownloadEventAdmin(admin.ModelAdmin):
    list_display = ["created", "file_name", "owner", "user", "link", "ip", "via"]
    list_filter = ["via", "created"]
    search_fields = ["file_name", "owner__username", "user__username", "ip"]
    # A link names itself after its item: join that too, or each row costs a query.
    list_select_related = ["owner", "user", "link__file", "link__folder"]
    date_hierarchy = "created"
    readonly_fields = ["created", "file", "file_name", "owner", "user", "link", "ip", "via"]

    # The trail is a record: it is read and pruned, never written by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
