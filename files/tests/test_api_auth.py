"""Who the API lets in: a personal access token in `Authorization: Bearer`, and nothing else."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts import tokens
from accounts.models import Token, User
from files.models import Folder
from files.tests.api_utils import token_client

WRONG = "ptk_" + "A" * 43


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def secret(alice: User) -> str:
    return tokens.create_token(alice, "script")[1]


def test_no_token_is_401_with_the_bearer_challenge(db: None) -> None:
    response = Client().get("/api/v1/files/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="Portal API"'
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == (None, "not_authenticated")


def test_it_lets_a_token_in(secret: str) -> None:
    assert bearer(secret).get("/api/v1/files/").status_code == 200


def test_the_account_password_is_refused_as_basic_auth(alice: User) -> None:
    basic = base64.b64encode(b"alice:password").decode()
    response = Client(headers={"Authorization": f"Basic {basic}"}).get("/api/v1/files/")
    assert response.status_code == 401


def test_the_account_password_is_refused_as_a_bearer_token(alice: User) -> None:
    response = bearer("password").get("/api/v1/files/")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "bad_token"


def test_the_browser_session_is_not_enough(alice: User) -> None:
    # A session cookie would let another site's page act through the API (CSRF).
    browser = Client()
    browser.force_login(alice)
    assert browser.get("/api/v1/files/").status_code == 401
    assert browser.post("/api/v1/folders/", {"name": "X"}).status_code == 401
    assert not Folder.objects.exists()


def test_a_revoked_token_is_401(alice: User, secret: str) -> None:
    tokens.revoke(Token.objects.get(owner=alice))
    assert bearer(secret).get("/api/v1/files/").status_code == 401


def test_an_expired_token_is_401(alice: User, secret: str) -> None:
    Token.objects.filter(owner=alice).update(expires=timezone.now() - timedelta(seconds=1))
    assert bearer(secret).get("/api/v1/files/").status_code == 401


def test_an_inactive_owners_token_is_401(alice: User, secret: str) -> None:
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert bearer(secret).get("/api/v1/files/").status_code == 401


def test_a_read_only_token_reads_but_never_writes(alice: User) -> None:
    client = token_client(alice, read_only=True)
    assert client.get("/api/v1/folders/").status_code == 200
    response = client.post("/api/v1/folders/", {"name": "X"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "read_only_token"
    assert not Folder.objects.exists()


def test_wrong_tokens_lock_the_address_out_with_retry_after(secret: str, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    statuses = [bearer(WRONG).get("/api/v1/files/").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    # Now even the right token waits for the cool-off, as a sign-in would.
    response = bearer(secret).get("/api/v1/files/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["errors"][0]["code"] == "locked_out"


def test_the_schema_and_docs_need_no_token(db: None) -> None:
    schema = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/files/" in schema.json()["paths"]
    assert schema.json()["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    docs = Client().get("/api/v1/docs/")
    assert docs.status_code == 200
    # Swagger UI from our own static files, no CDN.
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs.content
    assert b"cdn" not in docs.content.lower()
    # No inline style or script: the pages' strict policy holds here too.
    assert b"<style" not in docs.content
    assert b"<script>" not in docs.content
    assert "style-src 'self'" in docs["Content-Security-Policy"]
    script = Client().get("/api/v1/docs/?script")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_a_two_factor_account_scripts_with_its_token(alice: User, secret: str, settings) -> None:
    # What keeps tokens working once two-factor sign-in exists: no session, no code asked.
    from accounts.tests import otp

    otp.enable(alice)
    settings.PORTAL_REQUIRE_2FA_FOR_STAFF = True
    alice.refresh_from_db()
    assert alice.two_factor
    assert bearer(secret).get("/api/v1/files/").status_code == 200
    response = bearer(secret).post(
        "/api/v1/folders/", {"name": "X"}, content_type="application/json"
    )
    assert response.status_code == 201
