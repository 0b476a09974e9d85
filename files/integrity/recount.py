"""Quota books: whether the recorded sizes and totals agree with storage, and mending them.

Usage is the sum of the recorded sizes of a user's files, trashed or not, and
of their earlier versions (what they own,
wherever it sits: files an editor put into a shared folder count against the
folder's owner), kept as a total by database triggers (files.models.StorageUsage).
Pages show usage through files.uploads.quota; this module measures what
storage holds and recomputes the totals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Sum
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Coalesce

from accounts.models import User
from files import names
from files.models import FileVersion, StorageUsage, UploadedFile
from files.uploads.quota import Usage


@dataclass
class Drift:
    """One user whose recorded usage differs from what storage holds, or from what is charged."""

    user: User
    recorded: int = 0  # the sum of the rows' sizes
    stored: int = 0
    charged: int = 0  # the stored total quotas count (StorageUsage)
    missing: list[str] = field(default_factory=list)

    @property
    def difference(self) -> int:
        return self.stored - self.recorded


def recompute(users: list[User] | None = None) -> list[Drift]:
    """Measure every file in storage and compare with the recorded sizes and totals, per user.

    A missing object counts as 0 bytes stored and is named. Rows are streamed,
    so the memory used does not grow with the number of files.
    """
    files = UploadedFile.objects.order_by("owner_id", "pk").only("owner_id", "file", "size")
    totals = StorageUsage.objects.all()
    if users is not None:
        files = files.filter(owner__in=users)
        totals = totals.filter(owner__in=users)
    drifts: dict[int, Drift] = defaultdict(lambda: Drift(user=User()))
    for owner_id, used in totals.values_list("owner_id", "used"):
        drifts[owner_id].charged = used
    kept = FileVersion.objects.order_by("owner_id", "pk").only("owner_id", "stored", "size")
    if users is not None:
        kept = kept.filter(owner__in=users)
    for upload in files.iterator(chunk_size=2000):
        _measure(drifts[upload.owner_id], upload.size, upload.file)
    for version in kept.iterator(chunk_size=2000):
        _measure(drifts[version.owner_id], version.size, version.stored)
    differing = {
        owner_id: drift
        for owner_id, drift in drifts.items()
        if drift.difference or drift.missing or drift.charged != drift.recorded
    }
    for user in User.objects.filter(pk__in=differing):
        differing[user.pk].user = user
    return sorted(differing.values(), key=lambda drift: drift.user.get_username())


def _measure(drift: Drift, size: int, stored: FieldFile) -> None:
    drift.recorded += size
    storage, key = stored.storage, stored.name or ""
    if storage.exists(key):
        drift.stored += storage.size(key)
    else:
        drift.missing.append(key)


def over_quota() -> list[tuple[User, Usage]]:
    """Users who store more than their quota (after a quota was lowered, say)."""
    users = User.objects.annotate(used=Coalesce("storage_usage__used", 0)).order_by("username")
    found: list[tuple[User, Usage]] = []
    for user in users:
        quota = user.effective_quota()
        if quota is not None and user.used > quota:
            found.append((user, Usage(used=user.used, quota=quota)))
    return found


def recount(owner_id: int) -> None:
    """Set the stored total of user `owner_id` to the sum of their rows again.

    The triggers keep it exact; this mends a database that ran without them
    (a restore, a manual edit). The owner's row is locked as an upload locks
    it, and the total's row before the sum is taken, so a concurrent delete's
    trigger subtracts from the recounted total, never from the one it replaces.
    """
    with transaction.atomic():
        names.lock_owner(owner_id)
        usage, _ = StorageUsage.objects.select_for_update().get_or_create(owner_id=owner_id)
        files = UploadedFile.objects.filter(owner_id=owner_id)
        kept = FileVersion.objects.filter(owner_id=owner_id)
        usage.used = (
            files.aggregate(used=Sum("size", default=0))["used"]
            + kept.aggregate(used=Sum("size", default=0))["used"]
        )
        usage.save(update_fields=["used"])
