"""LoginRequiredMiddleware: login is the default; only the login and signup pages are public."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
from django.test import Client

PRIVATE = [
    "/",
    "/files/",
    "/files/?q=x&sort=name",
    "/files/upload/",
    f"/files/{uuid.UUID(int=1)}/",
    f"/files/{uuid.UUID(int=1)}/delete/",
    f"/files/{uuid.UUID(int=1)}/download/",
    f"/files/{uuid.UUID(int=1)}/preview/",
    "/accounts/profile/",
    "/accounts/password/",
    "/accounts/password/done/",
    "/accounts/tokens/",
]


@pytest.mark.parametrize("path", PRIVATE)
def test_it_sends_anonymous_users_to_login(client: Client, db: None, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={quote(path, safe='/')}"


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/"])
def test_it_lets_anonymous_users_reach_public_pages(client: Client, db: None, path: str) -> None:
    assert client.get(path).status_code == 200


def test_the_admin_login_is_the_sites_two_step_login(client: Client, db: None) -> None:
    # The admin's own form would log in after the password alone.
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/admin/"


def test_home_redirects_to_the_file_list(alice_client: Client) -> None:
    response = alice_client.get("/")
    assert response.status_code == 302
    assert response.url == "/files/"
