"""Storage against the database: what `manage.py portal_fsck` finds and repairs.

Only the Storage API (listdir, size, open, get_modified_time, delete), so one
code path checks the local disk and an S3 bucket alike. The stored keys are
`u/<owner-id>/<uuid>` (files.models.storage_key); nothing outside `u/` is ours
to judge.

Trashed files are rows like any other: their bytes must be there until the
trash is purged, and a problem with one says "(in the trash)". A file's
earlier versions (files.models.FileVersion) are rows too: their keys are no
orphans, and their bytes count in the owner's total.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum

from django.core.files.storage import Storage
from django.utils import timezone

from files.contract import KEY_PREFIX, STORAGE_KEY
from files.integrity import recount
from files.models import FileVersion, StorageUsage, UploadedFile
from files.uploads import resumable

TOP = KEY_PREFIX.rstrip("/")
CHUNK = 1024 * 1024


class Kind(Enum):
    MISSING = "missing"  # a row whose bytes are gone
    ORPHAN = "orphan"  # bytes no row points to
    SIZE = "size"  # the bytes' length differs from the row's size
    SHA256 = "sha256"  # same length, other content
    QUOTA = "quota"  # an owner is charged other than what they store
    STALE = "stale"  # an unfinished upload past its expiry (the expiry task has not run)


@dataclass(frozen=True)
class Problem:
    kind: Kind
    key: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind.value:8} {self.key}: {self.detail}"


@dataclass
class Report:
    rows: int = 0
    objects: int = 0
    problems: list[Problem] = field(default_factory=list)
    repaired: list[Problem] = field(default_factory=list)

    def of(self, kind: Kind) -> list[Problem]:
        return [problem for problem in self.problems if problem.kind is kind]

    @property
    def unrepaired(self) -> list[Problem]:
        return [problem for problem in self.problems if problem not in self.repaired]


def stored_keys(storage: Storage, directory: str = TOP) -> Iterator[str]:
    """Every key below `directory`, walking the listing as a tree (S3 prefixes too)."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{directory}/{name}"
    for name in directories:
        yield from stored_keys(storage, f"{directory}/{name}")


def sha256_of(storage: Storage, key: str) -> str:
    digest = hashlib.sha256()
    with storage.open(key, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check(storage: Storage, hash_contents: bool = True) -> Report:
    """Compare every row with storage and every stored key with the rows."""
    report = Report()
    # key -> (what names the row in a report, owner, size, sha256)
    rows = {
        name: (f"{pk}{' (in the trash)' if trashed else ''}", owner_id, size, sha256)
        for pk, name, owner_id, size, sha256, trashed in UploadedFile.objects.values_list(
            "pk", "file", "owner_id", "size", "sha256", "trashed_at"
        ).iterator()
    }
    rows |= {
        name: (f"{file_id}, a version", owner_id, size, sha256)
        for file_id, name, owner_id, size, sha256 in FileVersion.objects.values_list(
            "file_id", "stored", "owner_id", "size", "sha256"
        ).iterator()
    }
    report.rows = len(rows)
    # owner -> bytes the quota counts (a total the triggers keep equal to the rows' sizes)
    charged: dict[int, int] = defaultdict(int, StorageUsage.objects.values_list("owner_id", "used"))
    stored: dict[int, int] = defaultdict(int)  # owner -> bytes under u/<owner>/

    keys = set()
    for key in stored_keys(storage):
        report.objects += 1
        keys.add(key)
        match = STORAGE_KEY.fullmatch(key)  # anything else under u/ is not one of our files
        if match is None:
            continue
        size = storage.size(key)
        stored[int(match["owner"])] += size
        row = rows.get(key)
        if row is None:
            report.problems.append(Problem(Kind.ORPHAN, key, f"{size} bytes, no row"))
            continue
        pk, _, row_size, row_sha256 = row
        if size != row_size:
            detail = f"file {pk}: {size} bytes stored, {row_size} recorded"
            report.problems.append(Problem(Kind.SIZE, key, detail))
        elif hash_contents and sha256_of(storage, key) != row_sha256:
            report.problems.append(Problem(Kind.SHA256, key, f"file {pk}: content changed"))

    for key, (pk, _, size, _) in rows.items():
        if key not in keys:
            detail = f"file {pk}: {size} bytes recorded, nothing stored"
            report.problems.append(Problem(Kind.MISSING, key, detail))

    for owner_id in sorted(set(charged) | set(stored)):
        if charged[owner_id] != stored[owner_id]:
            detail = (
                f"user {owner_id} is charged {charged[owner_id]} bytes "
                f"and stores {stored[owner_id]}"
            )
            report.problems.append(Problem(Kind.QUOTA, f"{TOP}/{owner_id}/", detail))

    for upload in resumable.stale():
        state = (
            "finished but never completed"
            if upload.finished
            else f"expired {upload.expires:%Y-%m-%d %H:%M %Z}"
        )
        detail = (
            f"unfinished upload {upload.name!r} of user {upload.owner_id}, "
            f"{upload.offset} of {upload.length} bytes: {state}"
        )
        report.problems.append(Problem(Kind.STALE, f"{resumable.AREA}/{upload.pk}", detail))
    for upload_id, left in resumable.leftovers(storage).items():
        detail = f"{len(left)} stored objects of no unfinished upload"
        report.problems.append(Problem(Kind.STALE, f"{resumable.AREA}/{upload_id}", detail))
    return report


def repair(
    report: Report, storage: Storage, orphan_age: timedelta, delete_missing: bool = False
) -> None:
    """Fix what is safe to fix, recording it in `report.repaired`.

    - An orphan older than `orphan_age` is deleted: younger, it may be an
      upload whose row is about to commit (the bytes are stored first).
    - A row whose bytes are gone is deleted only with `delete_missing`: the
      bytes may come back from a backup, and a person should decide.
    - Size and sha256 mismatches are reported only: which side is right is
      not knowable here; restore the bytes from a backup.
    - Quota usage follows the rows (triggers keep its total), so a drift is
      gone once its cause (orphans, missing bytes) is. A drift with no such
      cause is the total itself, off after running without the triggers: it
      is recounted from the rows.
    """
    if report.of(Kind.STALE):
        # What the expiry task does: end the expired, complete the finished;
        # and the bytes no upload owns (a removal that failed) go.
        resumable.expire()
        for left in resumable.leftovers(storage).values():
            for key in left:
                storage.delete(key)
        report.repaired.extend(report.of(Kind.STALE))
    cutoff = timezone.now() - orphan_age
    for problem in report.of(Kind.ORPHAN):
        # Checked again: the row may have committed since check() listed the key.
        if UploadedFile.objects.filter(file=problem.key).exists():
            continue
        if FileVersion.objects.filter(stored=problem.key).exists():
            continue
        if storage.get_modified_time(problem.key) <= cutoff:
            storage.delete(problem.key)
            report.repaired.append(problem)
    if delete_missing:
        for problem in report.of(Kind.MISSING):
            # The post_delete receiver deletes the (absent) bytes: a no-op.
            if UploadedFile.objects.filter(file=problem.key).delete()[0]:
                report.repaired.append(problem)
            elif FileVersion.objects.filter(stored=problem.key).delete()[0]:
                report.repaired.append(problem)
    fixed = {problem.key for problem in report.repaired}
    for problem in report.of(Kind.QUOTA):
        owner_keys = [p for p in report.problems if p.key.startswith(problem.key)]
        causes = [p for p in owner_keys if p.kind is not Kind.QUOTA]
        if not causes:
            recount.recount(int(problem.key.split("/")[1]))  # the key is u/<owner-id>/
            report.repaired.append(problem)
        elif all(p.key in fixed for p in causes):
            report.repaired.append(problem)
