"""Quota: how much a user stores against what they may, as pages show it.

Usage is the sum of the recorded sizes of a user's files (what they own,
wherever it sits: files an editor put into a shared folder count against the
folder's owner), kept as a total by database triggers (files.models.StorageUsage).
The locked check that admits an upload is files.uploads.intake's.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from accounts.models import User

# What someone filling another person's space is told: that it is full, not
# how full (the owner's quota and free space are the owner's business).
OTHERS_FULL = "There is no room left in this shared folder."


@dataclass(frozen=True)
class Usage:
    used: int
    quota: int | None  # None: unlimited

    @property
    def free(self) -> int | None:
        return None if self.quota is None else max(self.quota - self.used, 0)

    @property
    def nearly_full_at(self) -> int | None:
        """Where the bar turns to a warning: 90 % of the quota."""
        return None if self.quota is None else self.quota * 9 // 10

    @property
    def percent(self) -> int:
        """How full, 0-100, for the bar (an unlimited quota is never full)."""
        if not self.quota:
            return 0
        return min(100, round(100 * self.used / self.quota))


def usage(user: User) -> Usage:
    return Usage(used=user.storage_used(), quota=user.effective_quota())


def usage_for(viewer: User, owner: User) -> Usage | None:
    """`owner`'s usage for a page `viewer` sees; None (nothing shown) unless they are the owner."""
    return usage(owner) if viewer.pk == owner.pk else None


def worded_for_others(error: ValidationError, message: str = OTHERS_FULL) -> ValidationError:
    """`error` without the owner's numbers when it is a quota refusal, for anyone but the owner."""
    if any(getattr(e, "code", None) == "over_quota" for e in error.error_list):
        return ValidationError(message, code="over_quota")
    return error
