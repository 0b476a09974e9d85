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
    # Kept by accounts.twofactor beside the django-otp devices it describes, so
    # that the check on every request (accounts.middleware) reads the user row
    # already loaded instead of querying the devices.
    two_factor = models.BooleanField(
        "two-factor sign-in",
        default=False,
        editable=False,
        help_text="Signs in with a code from an authenticator app or a recovery code.",
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


class Token(models.Model):
    """A personal access token: how WebDAV clients, scripts and the API sign in.

    Only the SHA-256 of the secret is kept (accounts/tokens.py says why a fast
    hash is enough), with its first characters as a prefix that the owner and
    staff can recognise it by. A revoked token keeps its row, so staff can see
    when a token that turned up in a leak stopped working; its name is free again.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    read_only = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    expires = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"],
                condition=models.Q(revoked__isnull=True),
                name="token_name_unique_per_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
