"""/accounts/2fa/: turning two-factor sign-in on (QR code, secret, a current code), codes, off."""

from __future__ import annotations

import re

from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from accounts.models import User
from accounts.tests.otp import code, code_from_secret, enable

PAGE = "/accounts/2fa/"
SETUP = "/accounts/2fa/setup/"
CONFIRM = "/accounts/2fa/confirm/"
CODES = "/accounts/2fa/recovery-codes/"
DISABLE = "/accounts/2fa/disable/"


def secret_on(html: str) -> str:
    match = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', html)
    assert match, "no secret on the page"
    return match.group(1)


def test_it_says_two_factor_is_off(alice_client: Client) -> None:
    html = alice_client.get(PAGE).content.decode()
    assert "is <strong>off</strong>" in html
    assert f'action="{SETUP}"' in html


def test_setup_shows_a_qr_code_drawn_here_and_the_secret(alice_client: Client, alice: User) -> None:
    response = alice_client.post(SETUP)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "<svg" in html and "<path" in html
    assert "http" not in html.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", ""
    )  # nothing fetched from elsewhere
    secret = secret_on(html)
    device = TOTPDevice.objects.get(user=alice)
    assert not device.confirmed
    assert secret.replace(" ", "") == twofactor.secret_text(device).replace(" ", "")
    assert not User.objects.get(pk=alice.pk).two_factor


def test_a_new_setup_replaces_the_unconfirmed_secret(alice_client: Client, alice: User) -> None:
    first = secret_on(alice_client.post(SETUP).content.decode())
    second = secret_on(alice_client.post(SETUP).content.decode())
    assert first != second
    assert TOTPDevice.objects.filter(user=alice).count() == 1
    response = alice_client.post(CONFIRM, {"code": code_from_secret(first)})
    assert response.context["form"].has_error("code", "wrong_code")


def test_a_current_code_turns_it_on_and_shows_ten_codes_once(
    alice_client: Client, alice: User
) -> None:
    secret = secret_on(alice_client.post(SETUP).content.decode())
    response = alice_client.post(CONFIRM, {"code": code_from_secret(secret)})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    shown = re.findall(
        r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", response.content.decode()
    )
    assert len(shown) == 10 == len(set(shown))
    assert User.objects.get(pk=alice.pk).two_factor
    # This session gave the code: it stays signed in.
    page = alice_client.get(PAGE).content.decode()
    assert "is <strong>on</strong>" in page and "10 unused recovery codes" in page
    assert not any(code in page for code in shown)


def test_a_wrong_code_leaves_it_off(alice_client: Client, alice: User) -> None:
    secret = secret_on(alice_client.post(SETUP).content.decode())
    response = alice_client.post(CONFIRM, {"code": code_from_secret(secret, 5)})
    assert response.status_code == 200
    assert response.context["form"].has_error("code", "wrong_code")
    assert secret_on(response.content.decode()) == secret  # the same secret, to try again
    assert not User.objects.get(pk=alice.pk).two_factor


def test_confirm_without_a_setup_goes_back(alice_client: Client) -> None:
    assert alice_client.post(CONFIRM, {"code": "123456"}).url == PAGE


def test_new_recovery_codes_need_a_current_code(alice: User) -> None:
    device, old = enable(alice)
    client = signed_in(alice, device)
    refused = client.post(CODES, {"code": old[0]})  # a recovery code is not enough
    assert refused.url == PAGE
    response = client.post(CODES, {"code": code(device.bin_key, 1)})
    new = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", response.content.decode())
    assert len(new) == 10
    tokens = set(StaticToken.objects.filter(device__user=alice).values_list("token", flat=True))
    assert tokens == {c.replace("-", "") for c in new}
    assert not tokens & set(old)


def test_turning_it_off_needs_a_current_code(alice: User, settings) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no back-off after the wrong code
    device, codes = enable(alice)
    client = signed_in(alice, device)
    client.post(DISABLE, {"code": "000000"})
    assert User.objects.get(pk=alice.pk).two_factor
    client.post(DISABLE, {"code": code(device.bin_key, 1)})
    assert not User.objects.get(pk=alice.pk).two_factor
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not StaticToken.objects.filter(device__user=alice).exists()
    assert client.get("/files/").status_code == 200  # still signed in


def test_a_recovery_code_also_turns_it_off(alice: User) -> None:
    device, codes = enable(alice)
    client = signed_in(alice, device)
    client.post(DISABLE, {"code": codes[3]})
    assert not User.objects.get(pk=alice.pk).two_factor


def test_setup_while_on_changes_nothing(alice: User) -> None:
    device, _ = enable(alice)
    client = signed_in(alice, device)
    assert client.post(SETUP).url == PAGE
    assert TOTPDevice.objects.get(user=alice).pk == device.pk


def test_a_wrong_code_makes_the_next_wait(alice: User) -> None:
    # django-otp's back-off (1 s, then 2 s, 4 s...): a right code at once after a wrong one fails.
    device, _ = enable(alice)
    client = signed_in(alice, device)
    client.post(DISABLE, {"code": "000000"})
    client.post(DISABLE, {"code": code(device.bin_key, 1)})
    assert User.objects.get(pk=alice.pk).two_factor


def test_the_pages_refuse_get_for_actions(alice_client: Client) -> None:
    for path in (SETUP, CONFIRM, CODES, DISABLE):
        assert alice_client.get(path).status_code == 405


def signed_in(user: User, device: TOTPDevice) -> Client:
    """A client signed in through both steps with the current code."""
    client = Client()
    client.post("/accounts/login/", {"username": user.username, "password": "password"})
    response = client.post("/accounts/login/code/", {"code": code(device.bin_key)})
    assert response.status_code == 302, response
    return client
