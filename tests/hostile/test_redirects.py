"""Threat: an off-site `next=` that turns our login page into a phishing springboard.

Django's url_has_allowed_host_and_scheme() guards LoginView and LogoutView;
these are the spellings browsers are known to resolve off-site.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from accounts.models import User

OFF_SITE = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example",
    "///evil.example",
    "////evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "https:evil.example",
    "http:/evil.example",
    "http:\\\\evil.example",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "\x00//evil.example",
    "ht\ttp://evil.example",
    "HTTPS://EVIL.EXAMPLE",
    "http://testserver@evil.example/",
    "http://testserver:pass@evil.example/",
    "http://evil.example\\@testserver/",
    "http://evil.example#@testserver",
    "https://testserver.evil.example/",
    "http://evil.example:80/",
    "\uff48\uff54\uff54\uff50\uff1a\uff0f\uff0fevil.example",  # fullwidth "http://"
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//%65vil.example",
    "/%09/evil.example",
    "https://evil.example/%2f%2e%2e",
]


def assert_stays_home(response, default: str) -> None:
    """The default page, or a path on this site, as a browser would resolve it."""
    assert response.status_code == 302
    location = response["Location"]
    if location == default:
        return
    # What the WHATWG URL parser does first: drop tabs and newlines, leading
    # spaces and controls, and read "\" as "/".
    resolved = re.sub(r"[\t\r\n]", "", location).lstrip("".join(map(chr, range(33))))
    resolved = resolved.replace("\\", "/")
    parts = urlsplit(resolved)
    assert (parts.scheme, parts.netloc) == ("", ""), location
    assert not resolved.startswith("//"), location


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_sends_you_off_site(client: Client, alice: User, target: str) -> None:
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "password", "next": target}
    )
    assert_stays_home(response, "/files/")


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_page_for_a_signed_in_user_never_sends_you_off_site(
    alice_client: Client, target: str
) -> None:
    assert_stays_home(alice_client.get("/accounts/login/", {"next": target}), "/files/")


@pytest.mark.parametrize("target", OFF_SITE)
def test_logout_never_sends_you_off_site(alice_client: Client, target: str) -> None:
    assert_stays_home(alice_client.post("/accounts/logout/", {"next": target}), "/accounts/login/")


@pytest.mark.parametrize("target", ["/accounts/profile/", "/files/?q=x&sort=name"])
def test_an_on_site_next_is_followed(client: Client, alice: User, target: str) -> None:
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "password", "next": target}
    )
    assert response["Location"] == target


def test_the_login_form_escapes_next(client: Client, db: None) -> None:
    html = client.get("/accounts/login/", {"next": '"><script>alert(1)</script>'}).content
    assert b"<script>alert(1)</script>" not in html
