"""/accounts/login/: fields username and password."""

from __future__ import annotations

from django.test import Client

from accounts.models import User

URL = "/accounts/login/"


def test_it_shows_the_form(client: Client, db: None) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html
    assert 'name="password"' in html


def test_it_logs_in(client: Client, alice: User) -> None:
    response = client.post(URL, {"username": "alice", "password": "password"})
    assert response.status_code == 302
    assert response.url == "/files/"
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_it_follows_next(client: Client, alice: User) -> None:
    response = client.post(
        URL, {"username": "alice", "password": "password", "next": "/accounts/profile/"}
    )
    assert response.url == "/accounts/profile/"


def test_it_does_not_follow_next_off_site(client: Client, alice: User) -> None:
    response = client.post(
        URL, {"username": "alice", "password": "password", "next": "https://evil.example/"}
    )
    assert response.url == "/files/"


def test_it_rejects_a_wrong_password(client: Client, alice: User) -> None:
    response = client.post(URL, {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].has_error("__all__", "invalid_login")
    assert "_auth_user_id" not in client.session


def test_it_rejects_an_inactive_user(client: Client, alice: User) -> None:
    alice.is_active = False
    alice.save()
    response = client.post(URL, {"username": "alice", "password": "password"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_redirects_a_signed_in_user(alice_client: Client) -> None:
    response = alice_client.get(URL)
    assert response.status_code == 302
    assert response.url == "/files/"
