"""Signing in to a two-factor account: the password, then /accounts/login/code/."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt  # type: ignore[import-untyped]
from django.test import Client
from pytest_django import Settings as SettingsWrapper

from accounts.models import User
from accounts.tests.otp import code, enable
from accounts.views import PENDING

LOGIN = "/accounts/login/"
CODE = "/accounts/login/code/"


def password_step(client: Client, next_url: str = "") -> None:
    data = {"username": "alice", "password": "password"}
    if next_url:
        data["next"] = next_url
    response = client.post(LOGIN, data)
    assert response.status_code == 302
    assert response.url == CODE


def test_the_password_alone_does_not_sign_in(client: Client, alice: User) -> None:
    enable(alice)
    password_step(client)
    assert "_auth_user_id" not in client.session
    assert client.get(CODE).status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/files/", "/accounts/profile/", "/accounts/tokens/", "/accounts/2fa/", "/admin/",
     "/files/upload/", "/accounts/password/"],
)  # fmt: skip
def test_a_password_only_session_reaches_nothing_else(
    client: Client, alice: User, path: str
) -> None:
    alice.is_staff = alice.is_superuser = True
    alice.save()
    enable(alice)
    password_step(client)
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/") or response.url.startswith("/admin/login/")


def test_a_password_only_session_still_reaches_public_links(client: Client, alice: User) -> None:
    enable(alice)
    password_step(client)
    # An unknown link: the anonymous answer, not a sign-in redirect.
    assert client.get("/s/" + "A" * 43 + "/").status_code == 404


def test_a_current_code_signs_in_and_follows_next(client: Client, alice: User) -> None:
    device, _ = enable(alice)
    password_step(client, "/accounts/profile/")
    response = client.post(CODE, {"code": code(device.bin_key)})
    assert response.status_code == 302
    assert response.url == "/accounts/profile/"
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert PENDING not in client.session
    assert client.get("/files/").status_code == 200


def test_a_code_is_accepted_once(client: Client, alice: User) -> None:
    device, _ = enable(alice)
    password_step(client)
    current = code(device.bin_key)
    assert client.post(CODE, {"code": current}).status_code == 302
    other = Client()
    password_step(other)
    response = other.post(CODE, {"code": current})
    assert response.status_code == 200
    assert response.context["form"].has_error("code", "wrong_code")
    assert "_auth_user_id" not in other.session


def test_an_earlier_code_is_refused_after_a_later_one(client: Client, alice: User) -> None:
    device, _ = enable(alice)
    password_step(client)
    assert client.post(CODE, {"code": code(device.bin_key, 1)}).status_code == 302
    other = Client()
    password_step(other)
    assert other.post(CODE, {"code": code(device.bin_key)}).status_code == 200


def test_a_code_far_from_now_is_refused(client: Client, alice: User) -> None:
    device, _ = enable(alice)
    password_step(client)
    assert client.post(CODE, {"code": code(device.bin_key, 3)}).status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_signs_in_once(
    client: Client, alice: User, settings: SettingsWrapper
) -> None:
    settings.OTP_STATIC_THROTTLE_FACTOR = 0  # no back-off after the refused reuse
    _, codes = enable(alice)
    password_step(client)
    typed = f"{codes[0][:4]}-{codes[0][4:].upper()}"  # as shown, and shouted
    assert client.post(CODE, {"code": typed}).status_code == 302
    other = Client()
    password_step(other)
    assert other.post(CODE, {"code": codes[0]}).status_code == 200
    assert other.post(CODE, {"code": codes[1]}).status_code == 302


@pytest.mark.parametrize("typed", ["", "12345", "abcdefgh", "1" * 40, "\x00" * 6, "١٢٣٤٥٦"])
def test_malformed_codes_are_wrong_codes(client: Client, alice: User, typed: str) -> None:
    enable(alice)
    password_step(client)
    response = client.post(CODE, {"code": typed})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_wrong_codes_count_as_failed_sign_ins(
    client: Client, alice: User, settings: SettingsWrapper
) -> None:
    device, _ = enable(alice)
    password_step(client)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(CODE, {"code": "000000"}).status_code == 200
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 4
    response = client.post(CODE, {"code": "000000"})
    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.AXES_COOLOFF_TIME.seconds)
    # Locked out: the right password and then the right code are refused alike.
    assert PENDING not in client.session
    assert client.post(LOGIN, {"username": "alice", "password": "password"}).status_code == 429


def test_a_lockout_refuses_even_the_right_code(client: Client, alice: User) -> None:
    device, _ = enable(alice)
    password_step(client)
    for _ in range(4):
        client.post(CODE, {"code": "000000"})
    # The pending sign-in is kept in a second session started before the lockout.
    other = Client()
    password_step(other)
    client.post(CODE, {"code": "000000"})
    assert other.post(CODE, {"code": code(device.bin_key)}).status_code == 429
    assert "_auth_user_id" not in other.session


def test_the_code_step_without_a_password_goes_back_to_login(client: Client, alice: User) -> None:
    enable(alice)
    assert client.get(CODE).url == LOGIN
    assert client.post(CODE, {"code": "123456"}).url == LOGIN


def test_the_code_step_expires(client: Client, alice: User, monkeypatch) -> None:
    device, _ = enable(alice)
    password_step(client)
    session = client.session
    session[PENDING] = {**session[PENDING], "since": session[PENDING]["since"] - 301}
    session.save()
    assert client.post(CODE, {"code": code(device.bin_key)}).url == LOGIN
    assert "_auth_user_id" not in client.session


def test_a_user_deactivated_between_the_steps_is_refused(client: Client, alice: User) -> None:
    device, _ = enable(alice)
    password_step(client)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert client.post(CODE, {"code": code(device.bin_key)}).url == LOGIN


def test_an_account_without_two_factor_signs_in_with_the_password(
    client: Client, alice: User
) -> None:
    response = client.post(LOGIN, {"username": "alice", "password": "password"})
    assert response.url == "/files/"
    assert client.get("/files/").status_code == 200


def test_a_session_from_before_two_factor_was_turned_on_is_signed_out(
    alice_client: Client, alice: User
) -> None:
    enable(alice)  # from another session (or by whoever holds this one's password)
    response = alice_client.get("/files/")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert "_auth_user_id" not in alice_client.session


def test_the_code_step_is_csrf_protected(alice: User) -> None:
    enable(alice)
    client = Client(enforce_csrf_checks=True)
    page = client.get(LOGIN)
    token = page.cookies["csrftoken"].value
    client.post(LOGIN, {"username": "alice", "password": "password", "csrfmiddlewaretoken": token})
    assert client.post(CODE, {"code": "123456"}).status_code == 403
