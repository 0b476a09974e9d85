from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.urls import reverse

from accounts.models import User
from files.content import is_inline_safe


def storage_key(instance: UploadedFile, filename: str) -> str:
    """Where the bytes live. Never derived from the user's filename, which stays in the DB."""
    return f"u/{instance.owner_id}/{instance.pk}"


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


class UploadedFile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="files"
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
