"""A database that does not answer gets a retryable 503 page, never a 500 with a traceback."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError
from django.test import Client


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_database_error_answers_503(
    alice_client: Client, monkeypatch: pytest.MonkeyPatch, error: type[Exception]
) -> None:
    # The session is the first thing a signed-in request reads from the database.
    def fail(self: SessionStore) -> None:
        raise error("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(SessionStore, "load", fail)
    alice_client.raise_request_exception = False

    response = alice_client.get("/files/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"
    assert b"briefly unavailable" in response.content
    # Nothing of the error reaches the client.
    assert b"127.0.0.1" not in response.content
    assert b"Traceback" not in response.content


def test_any_other_error_is_still_a_500(
    alice_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(self: SessionStore) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(SessionStore, "load", fail)
    alice_client.raise_request_exception = False

    response = alice_client.get("/files/")

    assert response.status_code == 500
    assert b"briefly unavailable" not in response.content
