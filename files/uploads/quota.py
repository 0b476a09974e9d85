"""Quota: how much a user stores against what they may, as pages show it.

Usage is the sum of the recorded sizes of a user's files (what they own,
wherever it sits: files an editor put into a shared folder count against the
folder's owner), kept as a total by database triggers (files.models.StorageUsage).
Unfinished resumable uploads reserve their length until they complete
(files.models.ResumableUpload): reserved space is not free. The locked check
that admits an upload is files.uploads.intake's, and counts the same parts.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery, Sum

from accounts.models import User
from files.models import ResumableUpload


@dataclass(frozen=True)
class Usage:
    """The parts of what a user takes, each named, and the quota they share."""

    used: int  # the user's files
    quota: int | None  # None: unlimited
    reserved: int = 0  # unfinished resumable uploads

    @property
    def taken(self) -> int:
        """Every part counted against the quota."""
        return self.used + self.reserved

    @property
    def free(self) -> int | None:
        return None if self.quota is None else max(self.quota - self.taken, 0)

    @property
    def nearly_full_at(self) -> int | None:
        """Where the bar turns to a warning: 90 % of the quota."""
        return None if self.quota is None else self.quota * 9 // 10

    @property
    def percent(self) -> int:
        """How full, 0-100, for the bar (an unlimited quota is never full)."""
        if not self.quota:
            return 0
        return min(100, round(100 * self.taken / self.quota))


def usage(user: User) -> Usage:
    """One query: the stored total (kept by triggers) and the reservations beside it."""
    reserved = (
        ResumableUpload.objects.filter(owner=OuterRef("pk"))
        .values("owner")
        .annotate(total=Sum("length"))
        .values("total")
    )
    row = (
        User.objects.filter(pk=user.pk)
        .values_list("storage_usage__used", Subquery(reserved))
        .first()
    )
    used, held = row if row is not None else (0, 0)
    return Usage(used=used or 0, quota=user.effective_quota(), reserved=held or 0)
