from __future__ import annotations

import time
from typing import Any

from axes.handlers.proxy import AxesProxyHandler  # type: ignore[import-untyped]
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.generic import CreateView, ListView, TemplateView, View
from django.views.generic.detail import SingleObjectMixin

from accounts import throttle, tokens, twofactor
from accounts.forms import CodeForm, SignupForm, TokenForm
from accounts.http import AuthenticatedRequest
from accounts.middleware import VERIFIED
from accounts.models import Token, User


@method_decorator(login_not_required, name="dispatch")
class SignupView(CreateView):
    form_class = SignupForm
    template_name = "accounts/signup.html"
    success_url = reverse_lazy("files:list")

    def form_valid(self, form: SignupForm) -> HttpResponse:
        response = super().form_valid(form)
        login(self.request, self.object, backend="django.contrib.auth.backends.ModelBackend")
        return response


class ProfileView(TemplateView):
    """Who you are; the storage bar comes from files' {% quota_bar %} tag."""

    template_name = "accounts/profile.html"


class TokensView(ListView):
    """The user's live tokens (never their secrets) and the form for a new one."""

    request: AuthenticatedRequest
    template_name = "accounts/tokens.html"
    context_object_name = "tokens"

    def get_queryset(self) -> QuerySet[Token]:
        return Token.objects.filter(owner=self.request.user, revoked__isnull=True)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("form", TokenForm())
        return super().get_context_data(now=timezone.now(), **kwargs)


class TokenCreateView(TokensView):
    """Creates a token and shows its secret on this one answer: only its hash is kept.

    Rendered, not redirected: a redirect would have to carry the secret
    through the session or a message cookie.
    """

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = TokenForm(request.POST)
        context: dict[str, Any] = {"form": form}
        if form.is_valid():
            try:
                token, secret = tokens.create_token(self.request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error("name", error)
            else:
                context = {"form": TokenForm(), "new_token": token, "secret": secret}
        self.object_list = self.get_queryset()
        response = self.render_to_response(self.get_context_data(**context))
        response["Cache-Control"] = "no-store"  # nor kept in a cache or the browser's history
        return response


class TokenRevokeView(SingleObjectMixin, View):
    """Revokes one of your tokens; anyone else's id, or a revoked one, is 404."""

    request: AuthenticatedRequest
    http_method_names = ["post"]

    def get_queryset(self) -> QuerySet[Token]:
        return Token.objects.filter(owner=self.request.user, revoked__isnull=True)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        token = self.get_object()
        tokens.revoke(token)
        messages.success(request, f"Revoked the token “{token.name}”.")
        return HttpResponseRedirect(reverse("accounts:tokens"))


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in: the login page, with why and for how long.

    429 Too Many Requests, not a bare 403: a person reads what happened, and a
    script gets Retry-After.
    """
    cool_off = int(settings.AXES_COOLOFF_TIME.total_seconds())
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    # A lockout at the code step ends the half-done sign-in: the password again, later.
    request.session.pop(PENDING, None)
    whom = (
        "from your address"
        if throttle.address_locked(request)
        else ("for this account from your address")
    )
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "lockout": (
            f"Too many failed sign-ins {whom}. "
            f"Try again in {cool_off // 60} minutes, or ask an administrator to unlock it."
        ),
    }
    response = render(request, "accounts/login.html", context, status=429)
    response["Retry-After"] = str(cool_off)
    return response


# Sign-in: the password, then (for a two-factor account) the code.

# The session key of a sign-in that passed the password and waits for the code.
PENDING = "portal_2fa_pending"
# How long the code step waits after the password: then the password again.
PENDING_SECONDS = 300


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    """The password step. A two-factor account is not logged in here: it is sent to the code.

    The session then holds only who passed the password, when, and where to go
    next; nothing in the site treats it as signed in (the user is anonymous).
    """

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not twofactor.is_enabled(user):
            return super().form_valid(form)
        # A new session key: whoever knew the old one does not share the pending sign-in.
        self.request.session.cycle_key()
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,  # type: ignore[attr-defined]  # set by authenticate()
            "since": int(time.time()),
            "next": self.get_success_url(),
        }
        return HttpResponseRedirect(reverse("accounts:login_code"))


def _pending(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    """The sign-in waiting for its code in this session, if fresh and its user still may sign in."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("since", 0) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user = User.objects.filter(pk=int(pending.get("user", 0)), is_active=True).first()
    if user is None or not twofactor.is_enabled(user):
        request.session.pop(PENDING, None)
        return None
    return user, pending


@method_decorator(login_not_required, name="dispatch")
class LoginCodeView(View):
    """The code step: a current authenticator code or an unused recovery code logs the user in.

    A wrong code is a failed sign-in for django-axes, counted with the
    password's failures per (username, address) and per address; at the
    limit, AxesMiddleware answers with the login page's 429 and the pending
    sign-in ends.
    """

    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        if _pending(request) is None:
            return HttpResponseRedirect(reverse("accounts:login"))
        return self._render(CodeForm(recovery=True))

    def post(self, request: HttpRequest) -> HttpResponse:
        found = _pending(request)
        if found is None:
            messages.info(request, "Sign in again: the code was not given in time.")
            return HttpResponseRedirect(reverse("accounts:login"))
        user, pending = found
        credentials = {"username": user.get_username()}
        if not AxesProxyHandler.is_allowed(request, credentials):
            # As the password step does: a try during the lockout counts, and is refused.
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            request.axes_locked_out = True  # type: ignore[attr-defined]  # AxesMiddleware answers
            request.axes_credentials = credentials  # type: ignore[attr-defined]
            return self._render(CodeForm(recovery=True), status=429)
        form = CodeForm(request.POST, recovery=True)
        if form.is_valid() and twofactor.verify(user, form.cleaned_data["code"]):
            del request.session[PENDING]
            login(request, user, backend=pending["backend"])
            request.session[VERIFIED] = True
            return HttpResponseRedirect(pending["next"])
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        form.add_error("code", ValidationError("That code is not right.", code="wrong_code"))
        return self._render(form, status=200)

    def _render(self, form: CodeForm, status: int = 200) -> HttpResponse:
        return render(self.request, "accounts/login_code.html", {"form": form}, status=status)


# The two-factor page: /accounts/2fa/.


class TwoFactorView(TemplateView):
    """Whether two-factor sign-in is on, and the forms to set it up, renew codes or turn it off."""

    request: AuthenticatedRequest
    template_name = "accounts/two_factor.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        context: dict[str, Any] = {
            "enabled": twofactor.is_enabled(user),
            "required": settings.PORTAL_REQUIRE_2FA_FOR_STAFF and user.is_staff,
            "code_form": CodeForm(),
        }
        if context["enabled"]:
            context["codes_left"] = twofactor.recovery_codes_left(user)
        return super().get_context_data(**context, **kwargs)


def _no_store(response: HttpResponse) -> HttpResponse:
    # A page with a secret or recovery codes is kept in no cache and no history.
    response["Cache-Control"] = "no-store"
    return response


class TwoFactorSetupView(View):
    """Makes a new secret and shows it (QR code and text) with the form that confirms it."""

    request: AuthenticatedRequest
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        if twofactor.is_enabled(self.request.user):
            return HttpResponseRedirect(reverse("accounts:two_factor"))
        device = twofactor.pending_device(self.request.user)
        return _render_setup(self.request, device, CodeForm())


def _render_setup(
    request: AuthenticatedRequest, device: Any, form: CodeForm, status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "qr_svg": twofactor.qr_svg(device),
        "secret": twofactor.secret_text(device),
    }
    return _no_store(render(request, "accounts/two_factor_setup.html", context, status=status))


class TwoFactorConfirmView(View):
    """Turns two-factor sign-in on with a current code, and shows the recovery codes once."""

    request: AuthenticatedRequest
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        user = self.request.user
        device = twofactor.unconfirmed_device(user)
        if twofactor.is_enabled(user) or device is None:
            return HttpResponseRedirect(reverse("accounts:two_factor"))
        form = CodeForm(request.POST)
        codes = form.is_valid() and twofactor.confirm(user, device, form.cleaned_data["code"])
        if not codes:
            form.add_error(
                "code",
                ValidationError(
                    "That code is not right: type the one your app shows now.", code="wrong_code"
                ),
            )
            return _render_setup(self.request, device, form, status=200)
        # This session gave the code; the user's other sessions did not, and are signed out.
        request.session[VERIFIED] = True
        return _render_codes(request, codes, first=True)


def _render_codes(request: HttpRequest, codes: list[str], *, first: bool) -> HttpResponse:
    context = {"codes": [twofactor.format_code(code) for code in codes], "first": first}
    return _no_store(render(request, "accounts/recovery_codes.html", context))


class RecoveryCodesView(View):
    """Ten new recovery codes for a current authenticator code; the old ones stop working."""

    request: AuthenticatedRequest
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        user = self.request.user
        if not twofactor.is_enabled(user):
            return HttpResponseRedirect(reverse("accounts:two_factor"))
        form = CodeForm(request.POST)
        if form.is_valid() and twofactor.verify_authenticator(user, form.cleaned_data["code"]):
            return _render_codes(request, twofactor.regenerate_recovery_codes(user), first=False)
        messages.error(request, "New recovery codes need the code your app shows now.")
        return HttpResponseRedirect(reverse("accounts:two_factor"))


class TwoFactorDisableView(View):
    """Turns two-factor sign-in off, for a current code (from the app, or a recovery code)."""

    request: AuthenticatedRequest
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        user = self.request.user
        if not twofactor.is_enabled(user):
            return HttpResponseRedirect(reverse("accounts:two_factor"))
        form = CodeForm(request.POST)
        if form.is_valid() and twofactor.verify(user, form.cleaned_data["code"]):
            twofactor.disable(user)
            messages.success(request, "Two-factor sign-in is off.")
        else:
            messages.error(request, "Turning two-factor sign-in off needs a current code.")
        return HttpResponseRedirect(reverse("accounts:two_factor"))
