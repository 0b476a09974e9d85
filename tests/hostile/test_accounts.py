"""Threat: guessing passwords, fixing sessions, signing people out or up badly.

Sign-in throttling is django-axes, keyed on (username, client address): five
wrong passwords lock that pair for the cool-off, never the account for
everyone and never for ever (README "Sign-in throttling").
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog  # type: ignore[import-untyped]
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import User

URL = "/accounts/login/"


def sign_in(client: Client, password: str, username: str = "alice", **extra: str):
    return client.post(URL, {"username": username, "password": password}, **extra)


def fail(client: Client, times: int, username: str = "alice", **extra: str) -> list[int]:
    """Sign in with a wrong password `times` times; the statuses answered."""
    return [sign_in(client, "wrong", username, **extra).status_code for _ in range(times)]


def test_thirty_wrong_passwords_then_the_right_one_does_not_sign_in(
    client: Client, alice: User
) -> None:
    assert fail(client, 30) == [200] * 4 + [429] * 26
    response = sign_in(client, "password")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_the_login_page_saying_why(client: Client, alice: User) -> None:
    fail(client, 4)
    response = sign_in(client, "wrong")
    assert response["Retry-After"] == "900"
    html = response.content.decode()
    assert "Too many failed sign-ins" in html
    assert "Try again in 15 minutes" in html
    assert 'name="username"' in html


def test_failures_are_recorded_for_the_admin(client: Client, alice: User) -> None:
    fail(client, 2)
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (
        "alice",
        "127.0.0.1",
        2,
    )
    assert AccessFailureLog.objects.count() == 2


def test_another_client_can_still_sign_in_to_the_account(client: Client, alice: User) -> None:
    # Anyone may type alice's name: her own sign-in from elsewhere must keep working.
    assert fail(client, 5, REMOTE_ADDR="203.0.113.7")[-1] == 429
    response = sign_in(client, "password", REMOTE_ADDR="198.51.100.2")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_the_locked_out_client_can_still_sign_in_to_another_account(
    client: Client, alice: User, bob: User
) -> None:
    fail(client, 5)
    assert sign_in(client, "password", "bob").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client: Client, alice: User) -> None:
    assert fail(client, 5)[-1] == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, "password").status_code == 302


def test_guessing_on_during_the_lockout_starts_it_again(client: Client, alice: User) -> None:
    assert fail(client, 5)[-1] == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert sign_in(client, "wrong").status_code == 429
    attempt = AccessAttempt.objects.get()
    assert timezone.now() - attempt.attempt_time < timedelta(minutes=1)  # 15 more minutes
    assert sign_in(client, "password").status_code == 429


def test_a_success_clears_the_count(client: Client, alice: User) -> None:
    assert fail(client, 4) == [200] * 4
    assert sign_in(client, "password").status_code == 302
    client.logout()
    assert fail(client, 4) == [200] * 4
    assert sign_in(client, "password").status_code == 302


def test_axes_reset_unlocks(client: Client, alice: User) -> None:
    assert fail(client, 5)[-1] == 429
    call_command("axes_reset_username", "alice", verbosity=0)
    assert sign_in(client, "password").status_code == 302


def test_axes_reset_unlocks_everyone(client: Client, alice: User) -> None:
    assert fail(client, 5)[-1] == 429
    call_command("axes_reset", verbosity=0)
    assert sign_in(client, "password").status_code == 302


def test_an_administrator_unlocks_from_the_admin(client: Client, alice: User) -> None:
    assert fail(client, 5)[-1] == 429
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.org", "password"))
    attempt = AccessAttempt.objects.get(username="alice")
    page = f"/admin/axes/accessattempt/{attempt.pk}/delete/"
    assert admin.post(page, {"post": "yes"}).status_code == 302
    assert sign_in(client, "password").status_code == 302


def test_the_admin_login_is_the_throttled_two_step_login(client: Client, staff: User) -> None:
    # The admin's own form (which would log in after the password alone) takes no password.
    response = client.post("/admin/login/", {"username": "sam", "password": "password"})
    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    for _ in range(5):
        client.post(URL, {"username": "sam", "password": "wrong"})
    assert client.post(URL, {"username": "sam", "password": "password"}).status_code == 429


def test_signing_in_rotates_the_session(client: Client, alice: User) -> None:
    client.get(URL)
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    before = session.session_key
    assert sign_in(client, "password").status_code == 302
    assert client.session.session_key != before
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_logout_by_get_is_refused(alice_client: Client) -> None:
    # An <img src="/accounts/logout/"> on another site must not sign anyone out.
    assert alice_client.get("/accounts/logout/").status_code == 405
    assert alice_client.get("/files/").status_code == 200


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1", "password_too_short"),
        ("password123", "password_too_common"),
        ("4815162342108", "password_entirely_numeric"),
        ("charlie.example", "password_too_similar"),
    ],
)
def test_signup_refuses_weak_passwords(client: Client, db: None, password: str, code: str) -> None:
    response = client.post(
        "/accounts/signup/",
        {
            "username": "charlie",
            "email": "charlie@example.org",
            "password1": password,
            "password2": password,
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()
    assert code in {e.code for e in errors["password2"]}
    assert not User.objects.filter(username="charlie").exists()
