from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """For type checkers: a request LoginRequiredMiddleware let through has a real User."""

    user: User
