"""Quota: how much a user stores against what they may, as pages show it.

Usage is the sum of the recorded sizes of a user's files and their versions (what they own,
wherever it sits: files an editor put into a shared folder count against the
folder's owner), kept as a total by database triggers (files.models.StorageUsage).
Unfinished resumable uploads reserve their length until they complete
(files.models.ResumableUpload): reserved space is not free. The locked check
that admits an upload is files.uploads.intake's, and counts the same parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from files.models import FileVersion, ResumableUpload, UploadedFile

# What someone filling another person's space is told: that it is full, not
# how full (the owner's quota and free space are the owner's business).
OTHERS_FULL = "There is no room left in this shared folder."


@dataclass(frozen=True)
class Usage:
    """What a user takes against their quota, with the parts pages show apart.

    `used` is the whole stored total (live files, the trash and the earlier
    versions alike); `trash` and `versions` are parts of it, shown apart on
    the bar and purged first when an upload needs room. `reserved` is held
    beside it by unfinished resumable uploads; `taken` is what the quota counts.
    """

    used: int
    quota: int | None  # None: unlimited
    trash: int = 0
    versions: int = 0
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
    """`user`'s usage in one query (every page shows it): the stored total (kept by
    triggers), its trash and versions parts, and the reservations beside it."""

    def total(rows: QuerySet[Any], field: str = "size") -> Coalesce:
        summed = rows.filter(owner=OuterRef("pk")).values("owner").annotate(total=Sum(field))
        return Coalesce(Subquery(summed.values("total")), 0)

    trashed = UploadedFile.objects.filter(trashed_at__isnull=False)
    # One row by its primary key: no ORDER BY (which .first() would add).
    rows = (
        User.objects.filter(pk=user.pk)
        .order_by()
        .values_list(
            Coalesce("storage_usage__used", 0),
            total(trashed),
            total(FileVersion.objects.all()),
            total(ResumableUpload.objects.all(), "length"),
        )
    )
    used, in_trash, in_versions, held = next(iter(rows), (0, 0, 0, 0))
    return Usage(
        used=used,
        quota=user.effective_quota(),
        trash=in_trash,
        versions=in_versions,
        reserved=held,
    )


def usage_for(viewer: User, owner: User) -> Usage | None:
    """`owner`'s usage for a page `viewer` sees; None (nothing shown) unless they are the owner."""
    return usage(owner) if viewer.pk == owner.pk else None


def worded_for_others(error: ValidationError, message: str = OTHERS_FULL) -> ValidationError:
    """`error` without the owner's numbers when it is a quota refusal, for anyone but the owner."""
    if any(getattr(e, "code", None) == "over_quota" for e in error.error_list):
        return ValidationError(message, code="over_quota")
    return error
