"""Personal access tokens: what the WebDAV, API and tus doors call to know who is asking.

A token is `ptk_` and 43 URL-safe characters (32 random bytes); the fixed
prefix lets secret scanners recognise a leaked one. Only its SHA-256 is
stored. A slow hash (PBKDF2, Argon2) protects passwords, which people choose
from a small space an attacker can enumerate; a token has 256 random bits,
208 of them after the 8 characters shown as its prefix, and 2**208 SHA-256
guesses are out of reach at any speed. A fast, unsalted hash is also what
lets a request find its token by an index lookup, instead of paying tens of
milliseconds of key stretching on every WebDAV request (a PROPFIND walk makes
hundreds). Nor is it peppered with SECRET_KEY: rotating that key would then
silently end every token.

The HTTP helpers accept only tokens, never the account password: a client
configuration that leaks gives away a token its owner can revoke, not the
account (and tokens keep working once two-factor sign-in exists).

Failed attempts count in django-axes, with the sign-in form's failures, per
(username, client address): after `PORTAL_LOGIN_FAILURE_LIMIT` of them that
pair is refused for the cool-off, with either door and any credential.

A door (a @login_not_required view or WSGI app: a token request has no session)::

    try:
        token = tokens.token_from_basic(request)  # or token_from_bearer
    except tokens.LockedOut as locked:
        ...  # 429, Retry-After: locked.retry_after
    if token is None:
        ...  # 401, WWW-Authenticate: Basic realm="Portal", charset="UTF-8" (or Bearer)
    ...  # act as token.owner; if token.read_only, answer 403 to every write
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import re
import secrets
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler  # type: ignore[import-untyped]
from axes.helpers import get_cool_off  # type: ignore[import-untyped]
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from accounts.models import Token, User

PREFIX = "ptk_"
SECRET_BYTES = 32  # 43 characters of token_urlsafe
SHOWN = len(PREFIX) + 8  # the non-secret part kept for display: "ptk_" and 8 characters
# The token shape, so that a header of any other length is refused before it is hashed.
TOKEN_RE = re.compile(r"ptk_[A-Za-z0-9_-]{32,100}")
# last_used is written at most this often, so that a busy client costs no write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_EXPIRES_DAYS = 3650
USERNAME_MAX = 150  # User.username's max_length


class LockedOut(Exception):
    """Too many failed attempts for this username from this address: answer 429.

    Raised before a locked-out client's token is looked at, and by the failure
    that reaches the limit. `retry_after` (seconds) belongs in a Retry-After header.
    """

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"locked out; retry after {retry_after} s")
        self.retry_after = retry_after


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(
    user: User, name: str, *, read_only: bool = False, expires_days: int | None = None
) -> tuple[Token, str]:
    """A new token for `user` and its secret, which is not kept and cannot be shown again.

    Raises ValidationError: `name_taken` when the user has a live token of
    that name, `bad_name` for an empty one, `bad_expiry` for days outside
    1..3650.
    """
    name = name.strip()
    if not name:
        raise ValidationError("A token needs a name.", code="bad_name")
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise ValidationError(
            f"Expiry must be between 1 and {MAX_EXPIRES_DAYS} days.", code="bad_expiry"
        )
    raw = PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    expires = timezone.now() + timedelta(days=expires_days) if expires_days else None
    try:
        # Its own savepoint: a clash must not break a caller's transaction.
        with transaction.atomic():
            token = Token.objects.create(
                owner=user,
                name=name,
                prefix=raw[:SHOWN],
                digest=_digest(raw),
                read_only=read_only,
                expires=expires,
            )
    except IntegrityError:
        # The constraint decides, so two requests at once cannot both take the name.
        raise ValidationError(
            f"You already have a token named “{name}”.", code="name_taken"
        ) from None
    return token, raw


def find_token(raw: str) -> Token | None:
    """The token with this secret, whatever its state; None for one never issued.

    The database compares SHA-256 digests, which a guesser cannot steer byte
    by byte, so the time a lookup takes says nothing about the secret.
    """
    if not TOKEN_RE.fullmatch(raw):
        return None
    return Token.objects.select_related("owner").filter(digest=_digest(raw)).first()


def is_usable(token: Token) -> bool:
    """Not revoked, not expired, and its owner may still sign in."""
    if token.revoked is not None or not token.owner.is_active:
        return False
    return token.expires is None or token.expires > timezone.now()


def authenticate_token(raw: str) -> Token | None:
    """The usable token with this secret (its `owner` loaded), or None.

    None for an unknown, revoked or expired token, or an inactive owner.
    Records the use (at most once a minute). Does no throttling: HTTP doors
    call token_from_bearer() or token_from_basic() instead.
    """
    token = find_token(raw)
    if token is None or not is_usable(token):
        return None
    _touch(token)
    return token


def revoke(token: Token) -> None:
    """Ends the token at once; its row stays for the trail, and its name is free again."""
    if token.revoked is None:
        token.revoked = timezone.now()
        Token.objects.filter(pk=token.pk, revoked__isnull=True).update(revoked=token.revoked)


def _touch(token: Token) -> None:
    now = timezone.now()
    if token.last_used is not None and now - token.last_used < LAST_USED_RESOLUTION:
        return
    # Conditional, so that app servers racing on one token write it once.
    stale = Q(last_used__isnull=True) | Q(last_used__lt=now - LAST_USED_RESOLUTION)
    Token.objects.filter(stale, pk=token.pk).update(last_used=now)
    token.last_used = now


# HTTP: the doors' entry points.


def token_from_bearer(request: HttpRequest) -> Token | None:
    """The token of `Authorization: Bearer <token>` (the REST API's scheme), or None.

    None without such a header, or for a token that is wrong, revoked or
    expired (answer 401). A Bearer token carries no username, so a wrong one
    counts against the client address alone (axes' username left empty); a
    revoked or expired one is not counted (see token_from_basic). A right one
    is still refused while its owner's (username, address) pair is locked
    out. Raises LockedOut (answer 429) before a locked-out client's token is
    looked at.
    """
    raw = _credentials(request, "bearer")
    if raw is None:
        return None
    _refuse_if_locked(request, None)
    token = find_token(raw)
    if token is None:
        _fail(request, None)
        return None
    _refuse_if_locked(request, token.owner.get_username())
    return _accept(token)


def token_from_basic(request: HttpRequest) -> Token | None:
    """The token sent as the password of HTTP Basic auth (WebDAV's scheme), or None.

    The username must be the token owner's, ignoring case. The account
    password is never accepted: it is just a wrong token. None without a
    Basic header or with one that does not decode (nothing was tried, so
    nothing is counted); None for a wrong token, or a right one under another
    username (counted as a failure for that username and address), or a
    revoked or expired token (answer 401; not counted, so that a forgotten
    client retrying an old token does not lock its owner out of signing in).
    Raises LockedOut (answer 429) before a locked-out client's token is looked at.
    """
    encoded = _credentials(request, "basic")
    if encoded is None:
        return None
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, colon, raw = decoded.partition(":")
    # No account has such a name, and axes could not store it (PostgreSQL
    # refuses NUL, its column holds 255 characters): malformed, not a guess.
    if not colon or not username or len(username) > USERNAME_MAX or "\x00" in username:
        return None
    account = _account_name(username)
    _refuse_if_locked(request, account)
    token = find_token(raw)
    if token is None or token.owner.get_username().casefold() != username.casefold():
        _fail(request, account)
        return None
    return _accept(token)


def _credentials(request: HttpRequest, scheme: str) -> str | None:
    """What follows `scheme` in the Authorization header (scheme names ignore case)."""
    found, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    credentials = credentials.strip()
    if found.lower() != scheme or not credentials:
        return None
    return credentials


def _accept(token: Token) -> Token | None:
    if not is_usable(token):
        return None
    _touch(token)
    return token


def _account_name(typed: str) -> str:
    """The username axes counts `typed` under: the account's own spelling when one matches.

    Basic auth ignores case, so "ALICE" and "alice" must share alice's count
    rather than each get their own five tries. The exact name is tried first
    (the unique index answers it); should two accounts differ only in case,
    a spelling that is neither keeps its own count.
    """
    if User.objects.filter(username=typed).exists():
        return typed
    names = User.objects.filter(username__iexact=typed).values_list("username", flat=True)
    matches = list(names[:2])
    return matches[0] if len(matches) == 1 else typed


def _for_axes(request: HttpRequest) -> HttpRequest:
    """The request as axes should see it: a copy, without a form body or NUL characters.

    Axes records the POST data of a failure; reading `request.POST` of a
    refused upload would parse and spool its whole body. It also records the
    path, user agent and Accept header, where a WebDAV path may hold a NUL
    (`%00`) that PostgreSQL refuses to store: the failure would become a 500.
    And on a copy, axes' lockout flag does not reach AxesMiddleware, which
    would answer with the sign-in page: the door answers LockedOut in its own way.
    """
    seen = copy.copy(request)
    seen.POST = QueryDict()
    seen.META = dict(request.META)
    for recorded in ("PATH_INFO", "HTTP_USER_AGENT", "HTTP_ACCEPT"):
        if recorded in seen.META:
            # As axes writes a NUL of the query string.
            seen.META[recorded] = str(seen.META[recorded]).replace("\x00", "0x00")
    return seen


def _refuse_if_locked(request: HttpRequest, username: str | None) -> None:
    """Raise LockedOut when axes would refuse this sign-in, with the same call its backend makes."""
    if not AxesProxyHandler.is_allowed(_for_axes(request), {"username": username}):
        # As at sign-in: a try during the lockout counts, and starts the cool-off again.
        _fail(request, username)
        raise LockedOut(_retry_after(request))


def _fail(request: HttpRequest, username: str | None) -> None:
    """Tell axes of a failed attempt, as django.contrib.auth.authenticate() does for a password.

    Raises LockedOut when this failure reaches the limit, as the sign-in form
    answers its fifth wrong password with the lockout.
    """
    seen = _for_axes(request)
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=seen)
    if getattr(seen, "axes_locked_out", False):
        raise LockedOut(_retry_after(request))


def _retry_after(request: HttpRequest) -> int:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else 0
