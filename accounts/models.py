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
        return self.files.aggregate(used=models.Sum("size", default=0))["used"]
