"""/accounts/logout/: POST only, so a link or image on another site cannot sign you out."""

from __future__ import annotations

from django.test import Client


def test_it_logs_out(alice_client: Client) -> None:
    response = alice_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert "_auth_user_id" not in alice_client.session
    assert alice_client.get("/files/").status_code == 302


def test_it_rejects_get(alice_client: Client) -> None:
    assert alice_client.get("/accounts/logout/").status_code == 405
    assert alice_client.get("/files/").status_code == 200


def test_every_page_offers_a_logout_form(alice_client: Client) -> None:
    html = alice_client.get("/files/").content.decode()
    assert '<form method="post" action="/accounts/logout/"' in html
