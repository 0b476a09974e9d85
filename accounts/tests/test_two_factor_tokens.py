"""Personal access tokens keep working with two-factor sign-in on; the password stays refused."""

from __future__ import annotations

import base64

from django.test import RequestFactory

from accounts import tokens
from accounts.models import User
from accounts.tests.otp import code, enable


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_a_token_signs_in_without_a_code(rf: RequestFactory, alice: User) -> None:
    enable(alice)
    token, secret = tokens.create_token(alice, "laptop")
    assert tokens.token_from_basic(rf.get("/", HTTP_AUTHORIZATION=basic("alice", secret))) == token
    assert tokens.token_from_bearer(rf.get("/", HTTP_AUTHORIZATION=f"Bearer {secret}")) == token


def test_the_password_is_still_refused(rf: RequestFactory, alice: User) -> None:
    device, _ = enable(alice)
    tokens.create_token(alice, "laptop")
    for password in ("password", "password" + code(device.bin_key), code(device.bin_key)):
        request = rf.get("/", HTTP_AUTHORIZATION=basic("alice", password))
        assert tokens.token_from_basic(request) is None


def test_a_token_made_before_two_factor_keeps_working(rf: RequestFactory, alice: User) -> None:
    token, secret = tokens.create_token(alice, "laptop")
    enable(alice)
    assert tokens.token_from_bearer(rf.get("/", HTTP_AUTHORIZATION=f"Bearer {secret}")) == token
