"""Helpers for the API tests: a client that sends a user's token."""

from __future__ import annotations

from django.test import Client

from accounts import tokens
from accounts.models import User


def token_client(user: User, *, read_only: bool = False, name: str = "tests") -> Client:
    """A client whose every request carries a fresh token of `user`'s."""
    _, raw = tokens.create_token(user, name, read_only=read_only)
    return Client(headers={"Authorization": f"Bearer {raw}"})
