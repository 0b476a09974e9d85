"""Sharing rules: shares with people, public and drop links, counted downloads.

Views and the admin call these; who may *see* a shared item is files.access.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from files.models import Folder, Link, ResumableUpload, Share, UploadedFile
from files.uploads import resumable

# 32 random bytes: 43 URL-safe characters, far beyond guessing.
TOKEN_BYTES = 32

Item = UploadedFile | Folder


def find_recipient(name_or_email: str) -> User:
    """The active user with this username or email (case-insensitive).

    One answer for every miss (no account, an inactive one, two accounts
    sharing an email), worded the same for a name and an email: it says no
    more than a share that succeeds would. The sharing view also counts the
    misses (SHARE_MISSES_PER_OWNER), so the form is no fast way to test emails.
    """
    wanted = name_or_email.strip()
    matches = list(
        User.objects.filter(Q(username__iexact=wanted) | Q(email__iexact=wanted), is_active=True)[
            :2
        ]
    )
    if len(matches) != 1:
        raise ValidationError("No single user has that name or email.", code="no_such_user")
    return matches[0]


def share(item: Item, recipient: User, role: str = Share.Role.VIEWER, *, label: str = "") -> Share:
    """Give `recipient` access to `item`; sharing again changes the role.

    `label` is what the owner typed to find them (Share.recipient_label): the
    name the owner's pages show, never the account's other name or its email.
    """
    if recipient.pk == item.owner_id:
        raise ValidationError("That is you: you have access already.", code="self_share")
    if role == Share.Role.EDITOR and not isinstance(item, Folder):
        raise ValidationError("Only a folder can be shared for editing.", code="editor_on_file")
    shared, _ = Share.objects.update_or_create(
        recipient=recipient,
        **_target(item),
        defaults={"role": role, "recipient_label": label.strip()},
    )
    return shared


def _target(item: Item) -> dict[str, Any]:
    """The keyword that points a Share or a Link at `item`."""
    return {"folder": item} if isinstance(item, Folder) else {"file": item}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_link(
    item: Item,
    *,
    kind: str = Link.Kind.DOWNLOAD,
    label: str = "",
    expires: datetime | None = None,
    password: str = "",
    download_limit: int | None = None,
) -> tuple[Link, str]:
    """A new link to `item` and its token, which is never stored and cannot be shown again."""
    if kind == Link.Kind.DROP and not isinstance(item, Folder):
        raise ValidationError("Files can be dropped only into a folder.", code="drop_on_file")
    if kind == Link.Kind.DROP and download_limit is not None:
        raise ValidationError("A file-drop link sends no files to count.", code="limit_on_drop")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = Link.objects.create(
        token_hash=token_hash(token),
        kind=kind,
        label=label,
        expires=expires,
        password=make_password(password) if password else "",
        download_limit=download_limit,
        **_target(item),
    )
    return link, token


def find_link(token: str) -> Link | None:
    """The link with this token, whatever its state; None for a token never issued.

    The lookup compares SHA-256 digests, which an attacker cannot steer byte
    by byte, so the time it takes says nothing about the token.
    """
    return (
        Link.objects.select_related("file", "folder", "file__owner", "folder__owner")
        .filter(token_hash=token_hash(token))
        .first()
    )


def why_closed(link: Link) -> str | None:
    """Why a link no longer works (revoked, expired, used up), or None while it does."""
    if link.revoked is not None:
        return "revoked"
    if link.expires is not None and link.expires <= timezone.now():
        return "expired"
    if link.download_limit is not None and link.downloads >= link.download_limit:
        return "exhausted"
    return None


def password_matches(link: Link, password: str) -> bool:
    return check_password(password, link.password)


def count_download(link: Link) -> bool:
    """Take one download from `link`; False when its limit is reached (nothing may be sent).

    One conditional UPDATE: concurrent downloads of a link limited to N get
    exactly N successes, with no read-then-write window between them.
    """
    links = Link.objects.filter(pk=link.pk, revoked__isnull=True)
    if link.download_limit is not None:
        links = links.filter(downloads__lt=F("download_limit"))
    return links.update(downloads=F("downloads") + 1) == 1


def revoke(links: QuerySet[Link]) -> int:
    """Close every open link of `links` for good (their rows stay, for the trail); how many.

    A drop link's unfinished resumable uploads end with it: the space they
    reserved is the owner's again now, not at their expiry.
    """
    revoked = links.filter(revoked__isnull=True).update(revoked=timezone.now())
    for upload in ResumableUpload.objects.filter(link__in=links):
        resumable.terminate(upload)
    return revoked
