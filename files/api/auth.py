"""Who is asking: a personal access token in `Authorization: Bearer`, and what it may do.

accounts.tokens decides whether the token is good and counts failed attempts
toward the sign-in lockout; this module only says it DRF's way: 401 with
`WWW-Authenticate: Bearer` for no token or a bad one, 429 with Retry-After
while locked out, 403 for a write with a read-only token.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from accounts import tokens
from accounts.models import Token, User

REALM = 'Bearer realm="Portal API"'


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer ptk_…`; the account password is refused (a wrong token)."""

    def authenticate(self, request: Request) -> tuple[User, Token] | None:
        scheme = request.headers.get("Authorization", "").strip().partition(" ")[0]
        if scheme.lower() != "bearer":
            return None  # no credentials: NotAuthenticated, 401
        try:
            token = tokens.token_from_bearer(request._request)
        except tokens.LockedOut as locked:
            raise exceptions.Throttled(
                wait=locked.retry_after,
                detail="Too many failed attempts from this address; try again later.",
                code="locked_out",
            ) from None
        if token is None:
            raise exceptions.AuthenticationFailed(
                "The token is wrong, revoked or expired.", code="bad_token"
            )
        return token.owner, token

    def authenticate_header(self, request: Request) -> str:
        return REALM


class TokenScope(permissions.BasePermission):
    """A signed-in token; a read-only one reads only (403 on every write, before any lookup)."""

    message = "This token is read-only."
    code = "read_only_token"

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated(
                "Send a personal access token: Authorization: Bearer ptk_…"
            )
        if request.method in permissions.SAFE_METHODS:
            return True
        token = request.auth
        return isinstance(token, Token) and not token.read_only
