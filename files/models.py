from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from accounts.models import User
from files import contract
from files.content import is_inline_safe


def storage_key(instance: UploadedFile, filename: str) -> str:
    """Where the bytes live. Never derived from the user's filename, which stays in the DB."""
    return contract.storage_key(instance.owner_id, instance.pk)


class UploadedFileQuerySet(models.QuerySet["UploadedFile"]):
    """Who may see what. Views scope every lookup through one of these."""

    def owned_by(self, user: User | AnonymousUser) -> UploadedFileQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)

    def readable_by(self, user: User | AnonymousUser) -> UploadedFileQuerySet:
        """Files `user` may download: their own, or any file for staff."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(owner=user)


class FolderQuerySet(models.QuerySet["Folder"]):
    """Who may see which folder; the same rules as UploadedFileQuerySet."""

    def owned_by(self, user: User | AnonymousUser) -> FolderQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)

    def readable_by(self, user: User | AnonymousUser) -> FolderQuerySet:
        """Folders `user` may browse: their own, or any folder for staff."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(owner=user)

    def writable_by(self, user: User | AnonymousUser) -> FolderQuerySet:
        """Folders `user` may upload into, rename, move and delete: their own."""
        return self.owned_by(user)


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

    objects = FolderQuerySet.as_manager()

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
            models.UniqueConstraint(
                "owner",
                Lower("name"),
                condition=models.Q(parent__isnull=True),
                name="folder_name_unique_at_top",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "parent"]),
            models.Index(fields=["path"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("files:folder", args=[self.pk])

    @staticmethod
    def path_below(parent: Folder | None, folder_id: uuid.UUID) -> str:
        """The `path` of folder `folder_id` placed in `parent`."""
        return f"{parent.path if parent else '/'}{folder_id}/"


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
    created = models.DateTimeField(auto_now_add=True)

    objects = UploadedFileQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["owner", "-created"]),
            models.Index(fields=["owner", "name"]),
            models.Index(fields=["owner", "size"]),
            models.Index(fields=["folder", "-created"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("files:detail", args=[self.pk])

    def get_download_url(self) -> str:
        return reverse("files:download", args=[self.pk])

    def get_preview_url(self) -> str:
        return reverse("files:preview", args=[self.pk])

    @property
    def previewable(self) -> bool:
        return is_inline_safe(self.content_type)
