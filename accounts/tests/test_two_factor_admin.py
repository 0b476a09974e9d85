"""Staff and two-factor sign-in: resetting a user's, and PORTAL_REQUIRE_2FA_FOR_STAFF."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.tests.otp import code, enable

CHANGELIST = "/admin/accounts/user/"


def test_staff_reset_a_users_second_factor(alice: User, admin_client: Client) -> None:
    enable(alice)
    response = admin_client.post(
        CHANGELIST, {"action": "reset_two_factor", "_selected_action": [alice.pk]}
    )
    assert response.status_code == 302
    assert not User.objects.get(pk=alice.pk).two_factor
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not StaticDevice.objects.filter(user=alice).exists()
    # alice signs in with her password alone, and may set it up again.
    client = Client()
    client.post("/accounts/login/", {"username": "alice", "password": "password"})
    assert client.get("/files/").status_code == 200


def test_the_admin_shows_who_has_two_factor(alice: User, bob: User, admin_client: Client) -> None:
    enable(alice)
    response = admin_client.get(CHANGELIST, {"two_factor__exact": "1"})
    assert [user.username for user in response.context["cl"].result_list] == ["alice"]


def test_the_admin_never_shows_secrets(alice: User, admin_client: Client) -> None:
    device, codes = enable(alice)
    html = admin_client.get(f"{CHANGELIST}{alice.pk}/change/").content.decode()
    assert device.key not in html and codes[0] not in html
    assert admin_client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert admin_client.get("/admin/otp_static/staticdevice/").status_code == 404


def test_a_user_cannot_reset_their_own_through_the_admin(alice_client: Client, alice: User) -> None:
    enable(alice)
    # alice_client's session predates two-factor: signed out first, then sent to log in.
    response = alice_client.post(
        CHANGELIST, {"action": "reset_two_factor", "_selected_action": [alice.pk]}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=alice.pk).two_factor


@pytest.fixture
def required(settings) -> None:
    settings.PORTAL_REQUIRE_2FA_FOR_STAFF = True


@pytest.mark.parametrize(
    "path",
    ["/files/", "/admin/", "/accounts/profile/", "/accounts/tokens/", "/admin/accounts/user/"],
)
def test_staff_without_it_are_sent_to_set_it_up(
    required: None, admin_client: Client, path: str
) -> None:
    response = admin_client.get(path)
    assert response.status_code == 302
    assert response.url == "/accounts/2fa/"


def test_staff_without_it_reach_the_setup_and_logout(required: None, admin_client: Client) -> None:
    page = admin_client.get("/accounts/2fa/")
    assert page.status_code == 200
    assert "requires it for staff" in page.content.decode()
    assert admin_client.post("/accounts/2fa/setup/").status_code == 200
    assert admin_client.post("/accounts/logout/").status_code == 302


def test_staff_who_set_it_up_reach_everything(required: None, admin_user: User) -> None:
    device, _ = enable(admin_user)
    client = Client()
    client.post("/accounts/login/", {"username": admin_user.username, "password": "password"})
    client.post("/accounts/login/code/", {"code": code(device.bin_key)})
    assert client.get("/admin/").status_code == 200
    assert client.get("/files/").status_code == 200


def test_the_requirement_leaves_other_users_alone(required: None, alice_client: Client) -> None:
    assert alice_client.get("/files/").status_code == 200


def test_without_the_requirement_staff_need_not(admin_client: Client) -> None:
    assert admin_client.get("/admin/").status_code == 200


def test_a_shell_resets_it_for_an_administrator_locked_out(alice: User) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    enable(alice)
    out = StringIO()
    call_command("portal_2fa_reset", "alice", stdout=out)
    assert out.getvalue() == "Two-factor sign-in is off for alice.\n"
    assert not User.objects.get(pk=alice.pk).two_factor
    assert not TOTPDevice.objects.filter(user=alice).exists()
    call_command("portal_2fa_reset", "alice", stdout=out)
    assert "alice has no two-factor sign-in." in out.getvalue()
    with pytest.raises(CommandError):
        call_command("portal_2fa_reset", "nobody")
