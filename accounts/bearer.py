"""Signs in a request by its personal access token, where a path takes one.

A token request carries no session cookie and no CSRF token. CSRF protects
what a browser sends by itself (cookies); it never adds an Authorization
header on its own, so a request signed in by its Bearer token needs no CSRF
token, and the views stay under the CSRF middleware (no csrf_exempt): a
session request to the same URL is checked as any other. A Bearer header that
names no usable token is answered 401 at once, never treated as anonymous.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse

from accounts import tokens


class BearerTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path.startswith(tuple(settings.PORTAL_BEARER_PATHS)) and request.headers.get(
            "Authorization", ""
        ).lower().startswith("bearer"):
            try:
                token = tokens.token_from_bearer(request)
            except tokens.LockedOut as locked:
                response = refusal(429, "Too many failed attempts: try again later.", "locked_out")
                response["Retry-After"] = str(locked.retry_after)
                return response
            if token is None:
                response = refusal(401, "This token is wrong, revoked or expired.", "bad_token")
                response["WWW-Authenticate"] = 'Bearer realm="Portal"'
                return response
            request.user = token.owner
            request.token = token  # type: ignore[attr-defined]
            # Django's own switch (the test client's): no cookie, nothing to forge.
            request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        return self.get_response(request)


def refusal(status: int, message: str, code: str) -> JsonResponse:
    error = {"field": None, "message": message, "code": code}
    return JsonResponse({"errors": [error]}, status=status)
