"""portal.proxies.client_address: only the X-Forwarded-For entries our proxies wrote count."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import RequestFactory
from pytest_django import Settings

from portal.proxies import client_address


def address(remote: str, forwarded: str | None = None) -> str:
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))


def test_a_direct_client_is_its_own_address() -> None:
    assert address("203.0.113.7") == "203.0.113.7"


def test_a_direct_client_cannot_claim_another_address() -> None:
    assert address("203.0.113.7", "198.51.100.1") == "203.0.113.7"


def test_behind_our_proxy_the_client_is_the_address_it_appended() -> None:
    assert address("127.0.0.1", "203.0.113.7") == "203.0.113.7"


def test_what_the_client_wrote_before_our_proxy_is_ignored() -> None:
    # nginx appends: "<the client's own header>, <the address nginx saw>".
    assert address("127.0.0.1", "198.51.100.1, 10.9.9.9, 203.0.113.7") == "203.0.113.7"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(settings: Settings) -> None:
    settings.PORTAL_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert address("127.0.0.1", "198.51.100.1, 203.0.113.7, 10.1.2.3") == "203.0.113.7"


@pytest.mark.parametrize("forwarded", ["", "not-an-address", "203.0.113.7, garbage"])
def test_garbage_falls_back_to_the_last_proxy(forwarded: str) -> None:
    assert address("127.0.0.1", forwarded) == "127.0.0.1"


def test_ipv6_is_understood() -> None:
    assert address("::1", "2001:db8::7") == "2001:db8::7"


def test_without_trusted_proxies_the_header_means_nothing(settings: Settings) -> None:
    settings.PORTAL_TRUSTED_PROXIES = []
    assert address("127.0.0.1", "203.0.113.7") == "127.0.0.1"


def test_check_refuses_a_proxy_list_that_does_not_parse(settings: Settings) -> None:
    settings.PORTAL_TRUSTED_PROXIES = ["127.0.0.1", "localhost"]
    with pytest.raises(SystemCheckError, match="accounts.E001"):
        call_command("check")
