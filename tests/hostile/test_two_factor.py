"""Threat: a stolen password on a two-factor account, and codes replayed or guessed.

A session that has given alice's password but not her code is, to every
route of the URLconf (tried with every method, /admin/ included), the
anonymous visitor: the same answer, never signed in, nothing of hers changed.
"""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.otp import code, enable
from files.models import UploadedFile
from files.tests.conftest import MakeFile
from tests.hostile.test_routes import METHODS, ROUTES, UUID_SAMPLE, concrete, request

CODE_STEP = "accounts/login/code/"


def password_only(user: User) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": "password"})
    assert response.url == "/accounts/login/code/"
    return client


@pytest.mark.parametrize("route", [r for r in ROUTES if r != CODE_STEP])
def test_a_password_only_session_is_anonymous_everywhere(
    route: str, alice: User, client: Client, make_file: MakeFile
) -> None:
    alice.is_staff = alice.is_superuser = True
    alice.save()
    enable(alice)
    target = make_file(alice)
    path = concrete(route).replace(UUID_SAMPLE, str(target.pk))
    half = password_only(alice)
    for method in METHODS:
        seen = request(half, method, path)
        anonymous = request(client, method, path)
        assert seen.status_code == anonymous.status_code, (method, path)
        assert seen.get("Location") == anonymous.get("Location"), (method, path)
        assert "_auth_user_id" not in half.session, (method, path)
    assert UploadedFile.objects.filter(pk=target.pk, name="notes.txt").exists()
    assert User.objects.get(pk=alice.pk).two_factor


def test_guessing_codes_meets_the_lockout_long_before_the_code(alice: User) -> None:
    # 10**6 codes, 3 valid at a time: 5 guesses per 15 minutes per address.
    enable(alice)
    half = password_only(alice)
    answers = [
        half.post("/accounts/login/code/", {"code": f"{n:06d}"}).status_code for n in range(5)
    ]
    assert answers == [200, 200, 200, 200, 429]
    # The lockout ended the pending sign-in; the password again is refused too.
    assert half.post("/accounts/login/code/", {"code": "000006"}).url == "/accounts/login/"
    again = half.post("/accounts/login/", {"username": "alice", "password": "password"})
    assert again.status_code == 429
    assert "_auth_user_id" not in half.session


def test_a_code_seen_over_a_shoulder_is_spent(alice: User) -> None:
    device, _ = enable(alice)
    current = code(device.bin_key)
    victim = password_only(alice)
    assert victim.post("/accounts/login/code/", {"code": current}).status_code == 302
    thief = password_only(alice)
    assert thief.post("/accounts/login/code/", {"code": current}).status_code == 200
    assert "_auth_user_id" not in thief.session


def test_the_pending_sign_in_is_not_carried_by_a_planted_session(alice: User) -> None:
    # The password step gives the session a new key: a key the attacker planted
    # before alice typed her password holds nothing.
    enable(alice)
    client = Client()
    client.get("/accounts/login/")
    planted = client.session.session_key
    client.post("/accounts/login/", {"username": "alice", "password": "password"})
    assert client.session.session_key != planted
    attacker = Client()
    attacker.cookies["sessionid"] = planted or ""
    assert attacker.get("/accounts/login/code/").url == "/accounts/login/"
