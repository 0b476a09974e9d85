"""Tokens in the admin: staff see and revoke them, never the digest."""

from __future__ import annotations

from django.test import Client

from accounts import tokens
from accounts.models import Token, User

CHANGELIST = "/admin/accounts/token/"


def test_it_lists_tokens_without_the_digest(alice: User, bob: User, admin_client: Client) -> None:
    laptop, secret = tokens.create_token(alice, "laptop", read_only=True, expires_days=3)
    tokens.create_token(bob, "phone")
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == set(Token.objects.all())
    html = response.content.decode()
    for column in ["name", "owner", "prefix", "created", "last_used", "read_only", "expires",
                   "revoked"]:  # fmt: skip
        assert f" column-{column}" in html
    assert laptop.digest not in html
    assert secret not in html


def test_it_finds_a_token_by_its_prefix(alice: User, bob: User, admin_client: Client) -> None:
    # What staff do with a token a secret scanner reported.
    laptop, secret = tokens.create_token(alice, "laptop")
    tokens.create_token(bob, "phone")
    response = admin_client.get(CHANGELIST, {"q": secret[:12]})
    assert list(response.context["cl"].result_list) == [laptop]


def test_its_page_shows_no_digest_and_edits_nothing(alice: User, admin_client: Client) -> None:
    token, _ = tokens.create_token(alice, "laptop")
    response = admin_client.get(f"{CHANGELIST}{token.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert token.digest not in html
    assert "digest" not in response.context["adminform"].form.fields
    assert list(response.context["adminform"].form.fields) == []


def test_it_revokes_with_an_action(alice: User, bob: User, admin_client: Client) -> None:
    laptop, secret = tokens.create_token(alice, "laptop")
    phone, other = tokens.create_token(bob, "phone")
    response = admin_client.post(
        CHANGELIST, {"action": "revoke_selected", "_selected_action": [laptop.pk]}, follow=True
    )
    assert "Revoked 1 token(s)." in response.content.decode()
    assert tokens.authenticate_token(secret) is None
    assert tokens.authenticate_token(other) == phone


def test_it_neither_adds_nor_deletes(alice: User, admin_client: Client) -> None:
    token, _ = tokens.create_token(alice, "laptop")
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.get(f"{CHANGELIST}{token.pk}/delete/").status_code == 403


def test_it_is_staff_only(alice: User, alice_client: Client) -> None:
    response = alice_client.get(CHANGELIST)
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
