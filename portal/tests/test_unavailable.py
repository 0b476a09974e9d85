"""A database that does not answer gets a retryable 503 page, never a 500 with a traceback."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.exceptions import SessionInterrupted
from django.db import InterfaceError, OperationalError
from django.test import Client

from portal.views import bad_request


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


def test_a_session_the_database_could_not_save_answers_503(
    client: Client, alice, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The database goes away between reading the session and saving it (a
    # sign-in while PostgreSQL restarts). The db backend raises UpdateError
    # from the OperationalError, and SessionMiddleware makes that a 400.
    def fail(self: SessionStore, must_create: bool = False) -> None:
        raise UpdateError from OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(SessionStore, "save", fail)
    client.raise_request_exception = False

    response = client.post("/accounts/login/", {"username": "alice", "password": "password"})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"


def test_any_other_bad_request_is_still_a_400(client: Client) -> None:
    response = client.get("/accounts/login/", headers={"host": "evil.example.org"})

    assert response.status_code == 400
    assert b"briefly unavailable" not in response.content


def test_handler400_answers_503_for_a_session_interrupted_by_the_database(rf) -> None:
    # As SessionMiddleware raises it: inside `except UpdateError`, itself
    # raised from the backend's OperationalError.
    update_error = UpdateError()
    update_error.__cause__ = OperationalError("the database system is shutting down")
    interrupted = SessionInterrupted("The request's session was deleted.")
    interrupted.__context__ = update_error

    assert bad_request(rf.get("/"), interrupted).status_code == 503
    assert bad_request(rf.get("/"), SessionInterrupted("no database involved")).status_code == 400
