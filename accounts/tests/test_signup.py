"""/accounts/signup/: anyone may create an account, and is signed in at once."""

from __future__ import annotations

from django.test import Client

from accounts.models import User

URL = "/accounts/signup/"
GOOD = {
    "username": "carol",
    "email": "carol@example.org",
    "password1": "correct horse battery",
    "password2": "correct horse battery",
}


def test_it_shows_the_form_to_anonymous_users(client: Client, db: None) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for field in ["username", "email", "password1", "password2"]:
        assert f'name="{field}"' in html


def test_it_creates_a_user_and_logs_in(client: Client, db: None) -> None:
    response = client.post(URL, GOOD)
    assert response.status_code == 302
    assert response.url == "/files/"
    user = User.objects.get(username="carol")
    assert user.email == "carol@example.org"
    assert user.check_password("correct horse battery")
    assert not user.is_staff
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/files/").status_code == 200


def test_it_rejects_mismatched_passwords(client: Client, db: None) -> None:
    response = client.post(URL, {**GOOD, "password2": "something else entirely"})
    assert response.status_code == 200
    assert response.context["form"].has_error("password2", "password_mismatch")
    assert not User.objects.filter(username="carol").exists()


def test_it_rejects_a_weak_password(client: Client, db: None) -> None:
    response = client.post(URL, {**GOOD, "password1": "12345678", "password2": "12345678"})
    assert response.status_code == 200
    assert not User.objects.filter(username="carol").exists()


def test_it_rejects_a_taken_username(client: Client, alice: User) -> None:
    response = client.post(URL, {**GOOD, "username": "alice"})
    assert response.status_code == 200
    assert response.context["form"].has_error("username", "unique")
    assert User.objects.filter(username="alice").count() == 1


def test_it_cannot_make_staff(client: Client, db: None) -> None:
    client.post(URL, {**GOOD, "is_staff": "on", "is_superuser": "on", "quota": "0"})
    user = User.objects.get(username="carol")
    assert not user.is_staff
    assert not user.is_superuser
    assert user.quota is None
