from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.generic import CreateView, TemplateView

from accounts.forms import SignupForm


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
