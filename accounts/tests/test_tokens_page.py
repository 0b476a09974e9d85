"""/accounts/tokens/: list your tokens, create one (its secret shown once), revoke one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts import tokens
from accounts.models import Token, User

URL = "/accounts/tokens/"
CREATE = "/accounts/tokens/new/"
SECRET = re.compile(r"ptk_[A-Za-z0-9_-]{43}")


def revoke_url(token: Token) -> str:
    return f"/accounts/tokens/{token.pk}/revoke/"


def test_it_lists_the_owners_tokens_without_secrets(
    alice: User, bob: User, alice_client: Client
) -> None:
    laptop, secret = tokens.create_token(alice, "laptop", read_only=True, expires_days=7)
    tokens.create_token(bob, "bobs phone")
    response = alice_client.get(URL)
    assert response.status_code == 200
    assert list(response.context["tokens"]) == [laptop]
    html = response.content.decode()
    assert "laptop" in html
    assert f"<code>{laptop.prefix}…</code>" in html
    assert "read-only" in html
    assert "bobs phone" not in html
    assert secret not in html
    assert laptop.digest not in html
    assert SECRET.search(html) is None


def test_it_hides_revoked_tokens(alice: User, alice_client: Client) -> None:
    token, _ = tokens.create_token(alice, "old")
    tokens.revoke(token)
    assert list(alice_client.get(URL).context["tokens"]) == []


def test_it_marks_expired_tokens(alice: User, alice_client: Client) -> None:
    token, _ = tokens.create_token(alice, "old", expires_days=1)
    Token.objects.filter(pk=token.pk).update(expires=timezone.now() - timedelta(hours=1))
    assert "(expired)" in alice_client.get(URL).content.decode()


def test_it_shows_a_new_token_once(alice: User, alice_client: Client) -> None:
    response = alice_client.post(CREATE, {"name": "laptop rclone", "expires_days": "30"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    [secret] = set(SECRET.findall(html))
    assert "shown only once" in html
    token = Token.objects.get(owner=alice)
    assert (token.name, token.read_only) == ("laptop rclone", False)
    assert token.expires is not None
    assert tokens.authenticate_token(secret) == token
    assert secret not in alice_client.get(URL).content.decode()


def test_it_creates_a_read_only_token(alice: User, alice_client: Client) -> None:
    alice_client.post(CREATE, {"name": "backup", "read_only": "on"})
    token = Token.objects.get(owner=alice)
    assert token.read_only
    assert token.expires is None


def test_it_refuses_a_taken_name(alice: User, alice_client: Client) -> None:
    tokens.create_token(alice, "laptop")
    response = alice_client.post(CREATE, {"name": "laptop"})
    assert response.status_code == 200
    assert response.context["form"].has_error("name", "name_taken")
    assert SECRET.search(response.content.decode()) is None
    assert Token.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": "x" * 101}, "name", "max_length"),
        ({"name": "x", "expires_days": "0"}, "expires_days", "min_value"),
        ({"name": "x", "expires_days": "3651"}, "expires_days", "max_value"),
        ({"name": "x", "expires_days": "soon"}, "expires_days", "invalid"),
    ],
)
def test_it_refuses_a_bad_form(
    alice_client: Client, data: dict[str, str], field: str, code: str
) -> None:
    response = alice_client.post(CREATE, data)
    assert response.status_code == 200
    assert response.context["form"].has_error(field, code)
    assert not Token.objects.exists()


def test_create_rejects_get(alice_client: Client) -> None:
    assert alice_client.get(CREATE).status_code == 405


def test_it_revokes(alice: User, alice_client: Client) -> None:
    token, secret = tokens.create_token(alice, "laptop")
    response = alice_client.post(revoke_url(token), follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert "Revoked the token “laptop”." in response.content.decode()
    assert tokens.authenticate_token(secret) is None


def test_revoke_of_a_strangers_token_is_404(alice: User, charlie_client: Client) -> None:
    token, secret = tokens.create_token(alice, "laptop")
    assert charlie_client.post(revoke_url(token)).status_code == 404
    assert tokens.authenticate_token(secret) == token


def test_revoke_of_a_revoked_token_is_404(alice: User, alice_client: Client) -> None:
    token, _ = tokens.create_token(alice, "laptop")
    tokens.revoke(token)
    assert alice_client.post(revoke_url(token)).status_code == 404


@pytest.mark.parametrize("path", ["/accounts/tokens/999999/revoke/", "/accounts/tokens/x/revoke/"])
def test_revoke_of_a_bad_id_is_404(alice_client: Client, path: str) -> None:
    assert alice_client.post(path).status_code == 404


def test_revoke_rejects_get(alice: User, alice_client: Client) -> None:
    token, secret = tokens.create_token(alice, "laptop")
    assert alice_client.get(revoke_url(token)).status_code == 405
    assert tokens.authenticate_token(secret) == token


def test_staff_cannot_revoke_from_the_page(alice: User, staff: User) -> None:
    # Staff revoke in the admin; this page is each user's own.
    token, _ = tokens.create_token(alice, "laptop")
    client = Client()
    client.force_login(staff)
    assert client.post(revoke_url(token)).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", URL), ("post", CREATE), ("post", "/accounts/tokens/1/revoke/")],
)
def test_it_sends_anonymous_users_to_login(
    client: Client, alice: User, method: str, path: str
) -> None:
    tokens.create_token(alice, "laptop")
    response = getattr(client, method)(path, {"name": "sneaky"})
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")
    assert Token.objects.count() == 1
    assert Token.objects.get().revoked is None


def test_it_needs_the_csrf_token(alice: User) -> None:
    token, _ = tokens.create_token(alice, "laptop")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(CREATE, {"name": "forged"}).status_code == 403
    assert client.post(revoke_url(token)).status_code == 403
    assert Token.objects.filter(owner=alice, revoked__isnull=True).count() == 1
    html = client.get(URL).content.decode()
    assert html.count('name="csrfmiddlewaretoken"') >= 3  # create, revoke, log out


def test_the_profile_links_here(alice_client: Client) -> None:
    assert f'href="{URL}"' in alice_client.get("/accounts/profile/").content.decode()
