from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A Portal user: Django's user plus a storage quota."""

    quota = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Storage allowed, in bytes. Empty: the site default (PORTAL_DEFAULT_QUOTA); "
        "0: unlimited.",
    )

    def effective_quota(self) -> int | None:
        """Bytes this user may store in all, or None for no limit."""
        quota = self.quota if self.quota is not None else settings.PORTAL_DEFAULT_QUOTA
        return quota or None

    def storage_used(self) -> int:
        """Bytes this user's files take (files.models.StorageUsage, kept by triggers)."""
        # A query, not the cached `self.storage_usage`: quota checks need the current total.
        used = type(self).objects.filter(pk=self.pk).values_list("storage_usage__used", flat=True)
        return used.first() or 0
