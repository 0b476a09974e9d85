from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.generic import CreateView, TemplateView

from accounts.forms import SignupForm
from accounts.http import AuthenticatedRequest


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
    request: AuthenticatedRequest
    template_name = "accounts/profile.html"

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        user = self.request.user
        return super().get_context_data(
            storage_used=user.storage_used(), quota=user.effective_quota(), **kwargs
        )
