"""/accounts/profile/: who you are and how much you store."""

from __future__ import annotations

from django.test import Client

from accounts.models import User
from accounts.tests.conftest import AddFile

URL = "/accounts/profile/"


def test_it_shows_storage_used(
    alice: User, bob: User, alice_client: Client, add_file: AddFile
) -> None:
    add_file(alice, 1024)
    add_file(alice, 2048)
    add_file(bob, 10**9)  # not hers
    response = alice_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Using 3.0\xa0KB (no quota)" in html
    assert "alice@example.org" in html


def test_it_shows_the_quota(alice: User, alice_client: Client, add_file: AddFile) -> None:
    alice.quota = 10 * 1024
    alice.save()
    add_file(alice, 1024)
    html = alice_client.get(URL).content.decode()
    assert "Using 1.0\xa0KB of 10.0\xa0KB (9.0\xa0KB free)" in html
    assert (
        '<meter id="quota-meter" min="0" max="10240" high="9216" optimum="0" value="1024"' in html
    )


def test_it_links_to_password_change(alice_client: Client) -> None:
    assert 'href="/accounts/password/"' in alice_client.get(URL).content.decode()


def test_it_sends_anonymous_users_to_login(client: Client, db: None) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/accounts/profile/"
