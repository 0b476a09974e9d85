"""/accounts/password/: change the password and stay signed in."""

from __future__ import annotations

from django.http import HttpRequest
from django.test import Client

from accounts.models import User

URL = "/accounts/password/"
NEW = "a much better passphrase"


def test_it_shows_the_form(alice_client: Client) -> None:
    response = alice_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for field in ["old_password", "new_password1", "new_password2"]:
        assert f'name="{field}"' in html


def test_it_changes_the_password(alice: User, alice_client: Client) -> None:
    response = alice_client.post(
        URL, {"old_password": "password", "new_password1": NEW, "new_password2": NEW}, follow=True
    )
    assert response.redirect_chain == [("/accounts/password/done/", 302)]
    assert "Your new password is in use" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(NEW)
    # This session survives the change.
    assert alice_client.get("/files/").status_code == 200
    assert Client().login(request=HttpRequest(), username="alice", password=NEW)
    assert not Client().login(request=HttpRequest(), username="alice", password="password")


def test_it_needs_the_old_password(alice: User, alice_client: Client) -> None:
    response = alice_client.post(
        URL, {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("old_password", "password_incorrect")
    alice.refresh_from_db()
    assert alice.check_password("password")


def test_it_sends_anonymous_users_to_login(client: Client, db: None) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/accounts/password/"
