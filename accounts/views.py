from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.generic import CreateView, ListView, TemplateView, View
from django.views.generic.detail import SingleObjectMixin

from accounts import tokens
from accounts.forms import SignupForm, TokenForm
from accounts.http import AuthenticatedRequest
from accounts.models import Token


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
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "lockout": (
            "Too many failed sign-ins for this account from your address. "
            f"Try again in {cool_off // 60} minutes, or ask an administrator to unlock it."
        ),
    }
    response = render(request, "accounts/login.html", context, status=429)
    response["Retry-After"] = str(cool_off)
    return response
