"""Two-factor sign-in on every request, before LoginRequiredMiddleware decides.

Signing in with a password alone never logs a two-factor account in: the
login view keeps a pending sign-in in the session and logs the user in only
after the code (accounts/views.py). This middleware is the second line, for a
session that is logged in without having given a code: one that signed in
before its owner turned two-factor on, or any door that calls `login()`
itself. Such a session is signed out here, so every URL (/files/, /admin/,
/accounts/...) treats it as anonymous and sends it to log in; /s/ stays public.

With PORTAL_REQUIRE_2FA_FOR_STAFF, a staff member without two-factor sign-in
reaches only its set-up pages and logout until it is on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse

# Set in the session by the login view once the code was right (or by the
# set-up page when the owner turns two-factor on from this session).
VERIFIED = "portal_2fa_verified"
# What a staff member without two-factor may reach when it is required.
SETUP_VIEWS = {
    "accounts:two_factor",
    "accounts:two_factor_setup",
    "accounts:two_factor_confirm",
    "accounts:logout",
}


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponseBase | None:
        # Without a signed-in session there is nothing to check and no query to make
        # (the anonymous pages under /s/ stay as cheap as they were).
        if SESSION_KEY not in request.session:
            return None
        user = request.user
        if not user.is_authenticated:
            return None
        if user.two_factor and not request.session.get(VERIFIED):
            logout(request)  # request.user is anonymous from here on
            return None
        if (
            settings.PORTAL_REQUIRE_2FA_FOR_STAFF
            and user.is_staff
            and not user.two_factor
            and request.resolver_match is not None
            and request.resolver_match.view_name not in SETUP_VIEWS
        ):
            return HttpResponseRedirect(reverse("accounts:two_factor"))
        return None
