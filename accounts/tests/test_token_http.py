"""token_from_bearer() and token_from_basic(): what the doors read from Authorization."""

from __future__ import annotations

import base64

import pytest
from axes.models import AccessAttempt  # type: ignore[import-untyped]
from django.http.multipartparser import MultiPartParser
from django.test import RequestFactory

from accounts import tokens
from accounts.models import Token, User


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def laptop(alice: User) -> tuple[Token, str]:
    return tokens.create_token(alice, "laptop")


def test_bearer_finds_the_token(rf: RequestFactory, laptop: tuple[Token, str]) -> None:
    token, secret = laptop
    request = rf.get("/api/v1/files/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert tokens.token_from_bearer(request) == token


@pytest.mark.parametrize("spelling", ["bearer {}", "BEARER {}", "  Bearer   {}  "])
def test_bearer_ignores_case_and_spaces_around(
    rf: RequestFactory, laptop: tuple[Token, str], spelling: str
) -> None:
    token, secret = laptop
    request = rf.get("/", HTTP_AUTHORIZATION=spelling.format(secret))
    assert tokens.token_from_bearer(request) == token


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer    ", "Basic YWxpY2U6cGFzc3dvcmQ=", "Token abc", "Bearerabc"],
)
def test_bearer_without_a_bearer_token_is_none_and_not_counted(
    rf: RequestFactory, laptop: tuple[Token, str], header: str | None
) -> None:
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    assert tokens.token_from_bearer(rf.get("/", **extra)) is None
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize("wrong", ["password", "ptk_" + "A" * 43, "ptk_ x", "a b c"])
def test_bearer_refuses_a_wrong_token_and_counts_it(
    rf: RequestFactory, laptop: tuple[Token, str], wrong: str
) -> None:
    assert tokens.token_from_bearer(rf.get("/", HTTP_AUTHORIZATION=f"Bearer {wrong}")) is None
    attempt = AccessAttempt.objects.get()
    # No username: a Bearer token names none, so the address alone is counted.
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (
        None,
        "127.0.0.1",
        1,
    )


def test_bearer_refuses_a_revoked_or_expired_token_without_counting(
    rf: RequestFactory, laptop: tuple[Token, str]
) -> None:
    token, secret = laptop
    tokens.revoke(token)
    for _ in range(10):
        assert tokens.token_from_bearer(rf.get("/", HTTP_AUTHORIZATION=f"Bearer {secret}")) is None
    assert not AccessAttempt.objects.exists()


def test_basic_finds_the_token(rf: RequestFactory, laptop: tuple[Token, str]) -> None:
    token, secret = laptop
    request = rf.generic("PROPFIND", "/dav/", HTTP_AUTHORIZATION=basic("alice", secret))
    found = tokens.token_from_basic(request)
    assert found == token
    assert found is not None
    assert found.owner.username == "alice"


@pytest.mark.parametrize("username", ["ALICE", "Alice", "aLiCe"])
def test_basic_ignores_the_case_of_the_username(
    rf: RequestFactory, laptop: tuple[Token, str], username: str
) -> None:
    token, secret = laptop
    request = rf.get("/dav/", HTTP_AUTHORIZATION=basic(username, secret))
    assert tokens.token_from_basic(request) == token


def test_basic_refuses_the_account_password(rf: RequestFactory, laptop: tuple[Token, str]) -> None:
    request = rf.get("/dav/", HTTP_AUTHORIZATION=basic("alice", "password"))
    assert tokens.token_from_basic(request) is None
    assert AccessAttempt.objects.get().username == "alice"


def test_basic_refuses_a_token_under_another_username(
    rf: RequestFactory, laptop: tuple[Token, str], bob: User
) -> None:
    _, secret = laptop
    request = rf.get("/dav/", HTTP_AUTHORIZATION=basic("bob", secret))
    assert tokens.token_from_basic(request) is None
    assert AccessAttempt.objects.get().username == "bob"


def test_basic_refuses_a_token_under_an_unknown_username(
    rf: RequestFactory, laptop: tuple[Token, str]
) -> None:
    _, secret = laptop
    assert tokens.token_from_basic(rf.get("/", HTTP_AUTHORIZATION=basic("mallory", secret))) is None
    assert AccessAttempt.objects.get().username == "mallory"


def test_basic_keeps_colons_in_the_password(rf: RequestFactory, laptop: tuple[Token, str]) -> None:
    _, secret = laptop
    request = rf.get("/", HTTP_AUTHORIZATION=basic("alice", secret + ":extra"))
    assert tokens.token_from_basic(request) is None


def test_basic_refuses_a_revoked_or_expired_token_without_counting(
    rf: RequestFactory, laptop: tuple[Token, str]
) -> None:
    token, secret = laptop
    Token.objects.filter(pk=token.pk).update(expires="2000-01-01T00:00Z")
    request = rf.get("/", HTTP_AUTHORIZATION=basic("alice", secret))
    for _ in range(10):
        assert tokens.token_from_basic(request) is None
    assert not AccessAttempt.objects.exists()


def test_basic_refuses_an_inactive_owner(rf: RequestFactory, laptop: tuple[Token, str]) -> None:
    _, secret = laptop
    User.objects.filter(username="alice").update(is_active=False)
    assert tokens.token_from_basic(rf.get("/", HTTP_AUTHORIZATION=basic("alice", secret))) is None


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Basic",
        "Basic !!!!",  # not base64
        "Basic YWxpY2U",  # bad padding
        "Basic " + base64.b64encode(b"alice").decode(),  # no colon
        "Basic " + base64.b64encode(b":ptk_whatever").decode(),  # no username
        "Basic " + base64.b64encode(b"alice:\xff\xfe").decode(),  # not UTF-8
        "Basic " + base64.b64encode(b"al\x00ice:ptk_whatever").decode(),  # NUL
        "Basic " + base64.b64encode(b"a" * 151 + b":ptk_whatever").decode(),  # too long
        "Bearer ptk_whatever",
        "Digest username=alice",
    ],
)
def test_basic_without_usable_credentials_is_none_and_not_counted(
    rf: RequestFactory, laptop: tuple[Token, str], header: str | None
) -> None:
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    assert tokens.token_from_basic(rf.get("/", **extra)) is None
    assert not AccessAttempt.objects.exists()


def test_a_refused_upload_is_never_parsed(
    rf: RequestFactory, laptop: tuple[Token, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Axes records a failure's form data; for an upload that would spool the body.
    def parse(self: MultiPartParser) -> None:
        raise AssertionError("the body was parsed")

    monkeypatch.setattr(MultiPartParser, "parse", parse)
    request = rf.post(
        "/api/v1/files/", {"file": b"x" * 1000}, HTTP_AUTHORIZATION="Bearer ptk_" + "A" * 43
    )
    assert tokens.token_from_bearer(request) is None
    assert AccessAttempt.objects.get().post_data == ""


def test_the_username_limit_is_the_models() -> None:
    assert tokens.USERNAME_MAX == User._meta.get_field("username").max_length


@pytest.mark.parametrize(
    "extra",
    [{"path": "/dav/a%00b"}, {"HTTP_USER_AGENT": "a\x00b"}, {"HTTP_ACCEPT": "a\x00b"}],
)
def test_a_nul_in_what_axes_records_is_no_server_error(
    rf: RequestFactory, laptop: tuple[Token, str], extra: dict[str, str]
) -> None:
    # PostgreSQL refuses NUL in text; a WebDAV path may hold one.
    path = extra.pop("path", "/dav/")
    request = rf.get(path, HTTP_AUTHORIZATION="Bearer ptk_" + "A" * 43, **extra)
    assert tokens.token_from_bearer(request) is None
    recorded = AccessAttempt.objects.values().get()
    assert not any("\x00" in str(value) for value in recorded.values())
