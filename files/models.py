from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from files import contract


def storage_key(instance: UploadedFile, filename: str) -> str:
    """Where the bytes live. Never derived from the user's filename, which stays in the DB."""
    return contract.storage_key(instance.owner_id, instance.pk)


def thumbnail_key(file_key: str) -> str:
    """Where the thumbnail of the file stored at `file_key` lives: derived, never user input."""
    return file_key + contract.THUMBNAIL_SUFFIX


class Folder(models.Model):
    """A folder of one owner's files, nested under `parent` (None: the top level).

    `path` spells the ancestry, "/<root-uuid>/.../<own-uuid>/", so "everything
    below this folder" is one prefix filter (`path__startswith`) instead of a
    recursive query; moving a folder rewrites the prefix of its subtree.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="folders"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    name = models.CharField(max_length=255)
    path = models.TextField(editable=False)
    created = models.DateTimeField(auto_now_add=True)
    # In the owner's trash since then (files.history.trash), with everything below it.
    trashed_at = models.DateTimeField(null=True, blank=True, editable=False)
    trashed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Where a trashed item lived, to restore it there: its folder (None: the top
    # level, or a folder deleted since) and that place spelled for people.
    trashed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    trashed_place = models.TextField(blank=True, default="", editable=False)

    class Meta:
        ordering = [Lower("name")]
        # Case-insensitive, as on Windows and macOS: a folder downloaded or
        # synced there must not collide with its sibling.
        constraints = [
            models.UniqueConstraint(
                "parent",
                Lower("name"),
                condition=models.Q(parent__isnull=False),
                name="folder_name_unique_in_parent",
            ),
            # A trashed item waits at the top level, beside live ones of its name.
            models.UniqueConstraint(
                "owner",
                Lower("name"),
                condition=models.Q(parent__isnull=True, trashed_at__isnull=True),
                name="folder_name_unique_at_top",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "parent"]),
            models.Index(fields=["path"]),
            models.Index(fields=["owner", "trashed_at"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("files:folder", args=[self.pk])

    @staticmethod
    def path_below(parent: Folder | None, folder_id: uuid.UUID) -> str:
        """The `path` of folder `folder_id` placed in `parent`."""
        return f"{parent.path if parent else '/'}{folder_id}/"


class ScanStatus(models.TextChoices):
    """Where a file stands with the virus scanner (README "Virus scanning")."""

    NOT_SCANNED = "not_scanned", "not scanned"  # scanning is off (PORTAL_SCAN unset)
    PENDING = "pending", "being checked"
    CLEAN = "clean", "clean"
    INFECTED = "infected", "quarantined"
    TOO_LARGE = "too_large", "too large to scan"


class UploadedFile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="files"
    )
    folder = models.ForeignKey(
        Folder, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(upload_to=storage_key, max_length=255)
    name = models.CharField(max_length=255, help_text="The original filename, as shown to people.")
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    # SHA-1 and CRC-32 of the same bytes, from the same pass (files.uploads.handler.Digests):
    # what WebDAV sync clients compare, and what a ZIP entry's header needs.
    sha1 = models.CharField(max_length=40, blank=True)
    crc32 = models.BigIntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # The file's own modification time, as a sync client or ZIP reports it:
    # its upload time, unless the client said otherwise (WebDAV's X-OC-Mtime).
    modified = models.DateTimeField(default=timezone.now)
    # Empty until the background task has stored one, and for good when the
    # bytes are no image Pillow can safely shrink (bomb, truncated, corrupt).
    thumbnail = models.FileField(max_length=255, blank=True, editable=False)
    # ClamAV's verdict (files.scanning): set by the intake when the file is
    # stored, then by the scan task. Who may be sent what is files.access's.
    scan_status = models.CharField(
        max_length=12, choices=ScanStatus.choices, default=ScanStatus.NOT_SCANNED
    )
    # The signature that matched, for an infected file; shown to its owner and staff.
    scan_signature = models.CharField(max_length=255, blank=True)
    scanned = models.DateTimeField(null=True, blank=True)
    # Who sent these bytes (the owner, an editor of a share; None: a drop link, or unknown).
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # As Folder's: in the trash since then, by whom, from where.
    trashed_at = models.DateTimeField(null=True, blank=True, editable=False)
    trashed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    trashed_from = models.ForeignKey(
        Folder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    trashed_place = models.TextField(blank=True, default="", editable=False)

    class Meta:
        ordering = ["-created"]
        # As Folder's: unique per place ignoring case. files.names keeps the
        # file-and-folder rule too, and numbers an upload's copy. The unique
        # indexes serve ?sort=name as well: a page is read from the index
        # instead of sorting the whole folder (10,000 rows: 17 ms on
        # PostgreSQL, 4 ms on SQLite); 0006's (folder, LOWER(name), created)
        # gave the same plans on both and is gone (0007).
        constraints = [
            models.UniqueConstraint(
                "folder",
                Lower("name"),
                condition=models.Q(folder__isnull=False),
                name="file_name_unique_in_folder",
            ),
            models.UniqueConstraint(
                "owner",
                Lower("name"),
                condition=models.Q(folder__isnull=True, trashed_at__isnull=True),
                name="file_name_unique_at_top",
            ),
        ]
        indexes = [
            # With the name: a search walks the newest first and tests names in
            # the index, reading a row only for a hit (SQLite; 35 -> 14 ms for
            # the 1,000 hits among 100,000 names of bench.folders).
            # It serves a search's count as well as (owner, name) did.
            models.Index(fields=["owner", "-created", "name"], name="files_owner_created_name"),
            models.Index(fields=["owner", "size"]),
            models.Index(fields=["folder", "-created"]),
            # The scan worker's retry sweep reads only the few files still waiting.
            models.Index(
                fields=["created"],
                condition=models.Q(scan_status="pending"),
                name="file_scan_pending",
            ),
            # Only the trashed rows, with their sizes: the trash page and the quota
            # bar's trash part read this small index alone (SQLite: 8 -> 0.1 ms of
            # 100,000 files), never the owner's live files.
            models.Index(
                fields=["owner", "trashed_at", "size"],
                condition=models.Q(trashed_at__isnull=False),
                name="files_trashed",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("files:detail", args=[self.pk])

    def get_download_url(self) -> str:
        return reverse("files:download", args=[self.pk])

    def get_preview_url(self) -> str:
        return reverse("files:preview", args=[self.pk])

    def get_thumbnail_view_url(self) -> str:
        return reverse("files:thumbnail", args=[self.pk])

    @property
    def previewable(self) -> bool:
        return contract.is_inline_safe(self.content_type)


def version_key(instance: FileVersion, filename: str) -> str:
    """Never used to name new bytes: a version keeps the key its bytes had when current."""
    raise ValueError("a version takes over the key of the bytes it keeps")


class FileVersion(models.Model):
    """Earlier bytes of a file, kept when an upload replaced them (files.history.versions).

    The bytes stay under the key they had when current (`u/<owner>/<id>` or
    `u/<owner>/<id>.<revision>`), so making a version costs no copy. They count
    against the owner's quota: triggers on this table add to the same
    StorageUsage total as the files' (files/migrations/_usage_triggers.py).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.ForeignKey(UploadedFile, on_delete=models.CASCADE, related_name="versions")
    # The file's owner, repeated so that the quota triggers and sums need no join.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    stored = models.FileField(upload_to=version_key, max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    sha1 = models.CharField(max_length=40, blank=True)
    crc32 = models.BigIntegerField(null=True, blank=True)
    modified = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # `modified` is the bytes' own time (as the file's was); this, when they stopped being current.
    replaced = models.DateTimeField(auto_now_add=True)
    # The verdict on these bytes, as the file had it when they were current: an
    # older version is withheld like a current file (files.access.withheld).
    scan_status = models.CharField(
        max_length=12, choices=ScanStatus.choices, default=ScanStatus.NOT_SCANNED
    )
    scan_signature = models.CharField(max_length=255, blank=True)
    scanned = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-replaced"]
        indexes = [
            models.Index(fields=["file", "-replaced"]),
            # The oldest first (making room), and the sum of sizes from the index alone.
            models.Index(fields=["owner", "replaced", "size"], name="files_versions_owner"),
            models.Index(
                fields=["replaced"],
                name="version_scan_pending",
                condition=models.Q(scan_status=ScanStatus.PENDING),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file} as of {self.modified:%Y-%m-%d %H:%M}"

    def get_download_url(self) -> str:
        return reverse("files:version-download", args=[self.file_id, self.pk])


class StorageUsage(models.Model):
    """The bytes a user's files take: the sum of their `size`, what quotas count.

    Trashed files are rows too, and the versions' bytes are added by their own
    triggers (migration 0012): the total is everything the user stores.

    Kept by triggers on files_uploadedfile (migration 0006), in the statement
    that inserts, deletes or resizes the rows, so no path can miss it: uploads,
    drops, cascades, admin and bulk deletes, raw SQL. Every page shows it; a
    SUM over an account of 100,000 files took 17-30 ms each time. No row: 0.
    Written by the triggers only; `portal_fsck --repair` recounts it.
    """

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="storage_usage",
    )
    used = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.owner}: {self.used} bytes"


class Share(models.Model):
    """`recipient` may see a file, or a folder with everything below it, now and later.

    Exactly one of `file` and `folder` is set; only a folder can be shared for
    editing. The item's owner is the one who shares: the row does not repeat it.
    """

    class Role(models.TextChoices):
        VIEWER = "viewer", "can view"
        EDITOR = "editor", "can edit"

    file = models.ForeignKey(
        UploadedFile, null=True, blank=True, on_delete=models.CASCADE, related_name="shares"
    )
    folder = models.ForeignKey(
        Folder, null=True, blank=True, on_delete=models.CASCADE, related_name="shares"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shared_with_me"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    # What the owner typed to find the recipient (a username, or an email):
    # the only name the owner's pages show, so sharing tells nobody an email
    # or a username they did not know already. Empty on shares made before it.
    recipient_label = models.CharField(max_length=254, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(file__isnull=True) ^ models.Q(folder__isnull=True),
                name="share_one_item",
            ),
            models.CheckConstraint(
                condition=models.Q(role="viewer") | models.Q(folder__isnull=False),
                name="share_editor_only_on_folders",
            ),
            models.UniqueConstraint(
                "file", "recipient", condition=models.Q(file__isnull=False), name="share_file_once"
            ),
            models.UniqueConstraint(
                "folder",
                "recipient",
                condition=models.Q(folder__isnull=False),
                name="share_folder_once",
            ),
        ]
        indexes = [models.Index(fields=["recipient", "-created"])]

    def __str__(self) -> str:
        return f"{self.item} with {self.recipient} ({self.role})"

    @property
    def item(self) -> UploadedFile | Folder:
        # The share_one_item constraint: exactly one is set.
        return self.file if self.file_id is not None else self.folder  # type: ignore[return-value]

    @property
    def recipient_name(self) -> str:
        """The recipient as the owner named them; the username for shares older than the label."""
        return self.recipient_label or self.recipient.get_username()


class Link(models.Model):
    """A public link `/s/<token>/` to a file or a folder, or a drop box into a folder.

    Only a hash of the token is stored: the URL is shown once, when it is made,
    and a copy of the database opens nothing. The token is looked up by that
    hash, so no comparison ever runs over the secret itself.
    """

    class Kind(models.TextChoices):
        DOWNLOAD = "download", "download link"
        DROP = "drop", "file drop"

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DOWNLOAD)
    file = models.ForeignKey(
        UploadedFile, null=True, blank=True, on_delete=models.CASCADE, related_name="links"
    )
    folder = models.ForeignKey(
        Folder, null=True, blank=True, on_delete=models.CASCADE, related_name="links"
    )
    label = models.CharField(max_length=100, blank=True)
    expires = models.DateTimeField(null=True, blank=True)
    password = models.CharField(max_length=128, blank=True, help_text="A Django password hash.")
    download_limit = models.PositiveIntegerField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)
    revoked = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(file__isnull=True) ^ models.Q(folder__isnull=True),
                name="link_one_item",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="download") | models.Q(folder__isnull=False),
                name="link_drop_only_on_folders",
            ),
        ]

    def __str__(self) -> str:
        return self.label or f"{self.get_kind_display()} to {self.item}"

    @property
    def item(self) -> UploadedFile | Folder:
        # The link_one_item constraint: exactly one is set.
        return self.file if self.file_id is not None else self.folder  # type: ignore[return-value]

    @property
    def remaining(self) -> int | None:
        """Downloads left, or None without a limit."""
        if self.download_limit is None:
            return None
        return max(self.download_limit - self.downloads, 0)


class Drop(models.Model):
    """Who left a file through a drop link: what they typed, from where, when."""

    file = models.OneToOneField(UploadedFile, on_delete=models.CASCADE, related_name="drop")
    link = models.ForeignKey(Link, null=True, on_delete=models.SET_NULL, related_name="drops")
    dropped_by = models.CharField(max_length=100, blank=True)
    ip = models.GenericIPAddressField(null=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.file} from {self.dropped_by or 'anonymous'}"


class DownloadEvent(models.Model):
    """One permitted download: who (a user, or a link and an address), what, when, how.

    Written with one INSERT from values the view already holds. The file's name
    is copied so that the trail outlives the file.
    """

    class Via(models.TextChoices):
        DIRECT = "direct", "direct"
        SIGNED = "signed", "signed URL"
        LINK = "link", "public link"

    # Every index is a B-tree page written per download (docs/performance.md,
    # "The audit row's write"), so each column has the index a query needs and
    # no more; Meta.indexes says which. The foreign keys' own indexes are off
    # except the owner's, which deleting a user needs (CASCADE, all rows).
    file = models.ForeignKey(
        UploadedFile,
        null=True,
        on_delete=models.SET_NULL,
        related_name="download_events",
        db_index=False,
    )
    file_name = models.CharField(max_length=255)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    link = models.ForeignKey(
        Link, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # A folder sent as one ZIP: the folder (None for a file, or the top level's
    # ZIP) and how many files the archive held; `file_name` is the archive's name.
    folder = models.ForeignKey(
        Folder, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    files_in_zip = models.PositiveIntegerField(null=True)
    ip = models.GenericIPAddressField(null=True)
    via = models.CharField(max_length=10, choices=Via.choices)
    # The prune (created < cutoff) and the admin's list (newest first, by date).
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created"]
        indexes = [
            # The file page's recent downloads (file = x, newest first: read
            # backwards) and SET NULL when a file is deleted. Ascending: a file's
            # new row goes at the end of its run; descending put it at the start,
            # which on SQLite wrote two pages per row instead of one.
            models.Index(fields=["file", "created"], name="downloadevent_file_created"),
            # SET NULL when a user, link or folder is deleted. Partial: a
            # signed-in click has no link and no folder, an anonymous link click
            # no user: a row enters only the indexes of the columns it fills.
            # `x_id IN (...)` implies `x_id IS NOT NULL` to both databases' planners.
            models.Index(
                fields=["user"], name="downloadevent_user", condition=models.Q(user__isnull=False)
            ),
            models.Index(
                fields=["link"], name="downloadevent_link", condition=models.Q(link__isnull=False)
            ),
            models.Index(
                fields=["folder"],
                name="downloadevent_folder",
                condition=models.Q(folder__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} by {self.user or self.link or 'anonymous'}"


class DavLock(models.Model):
    """A WebDAV lock (RFC 4918 class 2), where every app server sees it.

    Used when no Redis is configured (files.dav.locks); wsgidav's Redis
    storage keeps them otherwise. `root` is the resource's reference URL,
    which begins with its user's namespace ("/u<id>/..."), so a lock is
    found by exact root or by prefix (a Depth: infinity lock on a folder).
    `data` is wsgidav's lock dictionary, as JSON.
    """

    token = models.CharField(max_length=100, primary_key=True)
    root = models.TextField()
    expire = models.FloatField(help_text="Seconds since the epoch; negative: never.")
    data = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=["root"])]

    def __str__(self) -> str:
        return f"{self.token} on {self.root}"


class DavProperty(models.Model):
    """A dead property a WebDAV client set on a resource (PROPPATCH), kept by its URL.

    wsgidav has property stores for files, MongoDB and CouchDB only; this one
    lives in the database every app server shares. `url` is the resource's
    reference URL (with its user's namespace), `name` the property in Clark
    notation, `value` its XML.
    """

    url = models.TextField()
    name = models.TextField()
    value = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint("url", "name", name="dav_property_once")]
        indexes = [models.Index(fields=["url"])]

    def __str__(self) -> str:
        return f"{self.name} of {self.url}"


class ResumableUploadQuerySet(models.QuerySet["ResumableUpload"]):
    def reserved_by(self, owner_id: int) -> int:
        """Bytes held back from `owner_id`'s quota by uploads still in progress."""
        total = self.filter(owner_id=owner_id).aggregate(total=models.Sum("length"))["total"]
        return int(total or 0)


class ResumableUpload(models.Model):
    """A tus upload in progress: where its bytes are, how far it got, what it will become.

    Everything an app server needs to take the next PATCH lives here (no
    state in a process or on one server's disk): the offset, the digest state
    (files.uploads.resumable), and for S3 the multipart upload and its parts.
    Its `length` is reserved against the owner's quota until it completes
    (the file then counts instead), is terminated, or expires.
    """

    # Random (uuid4, 122 bits): the upload URL is unguessable.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Whose quota it takes (a folder's owner), and who alone may continue it:
    # its creator, or (a drop link's upload: no creator) the link session
    # whose secret hashes to `visitor` (files.access.uploads_via_link).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resumable_uploads"
    )
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # A deleted link leaves its uploads to expire (their multipart uploads aborted).
    link = models.ForeignKey(
        Link, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visitor = models.CharField(max_length=64, blank=True)
    dropped_by = models.CharField(max_length=100, blank=True)  # as Drop.dropped_by
    folder = models.ForeignKey(
        Folder, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Folders below `folder` to create at completion (a dropped folder's tree), "/"-separated.
    directory = models.CharField(max_length=1024, blank=True)
    name = models.CharField(max_length=255)
    on_conflict = models.CharField(max_length=16, default="keep_both")
    length = models.PositiveBigIntegerField()
    offset = models.PositiveBigIntegerField(default=0)
    # The id of the file it becomes, so its key (u/<owner>/<file_id>) is known from the start.
    file_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # sha256, sha1 and CRC-32 of bytes [0, offset), resumable (files.uploads.resumable).
    digest_state = models.BinaryField(null=True, blank=True)
    # S3: the multipart upload, its part size, and the parts sent ([{"n", "etag"}]).
    multipart_id = models.CharField(max_length=1024, blank=True)
    part_size = models.PositiveIntegerField(default=0)
    parts = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    # A PATCH holds the upload until then: a second one at the same time gets 409.
    busy_until = models.DateTimeField(null=True, blank=True)

    objects = ResumableUploadQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["expires"]), models.Index(fields=["owner"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.offset}/{self.length}) for {self.owner}"

    @property
    def finished(self) -> bool:
        return self.offset >= self.length
