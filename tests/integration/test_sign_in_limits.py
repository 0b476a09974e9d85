"""Two-factor sign-in and the per-address limit through nginx and two app servers.

Two gunicorn masters (two workers each) behind one nginx share one database:
the password step may land on one process and the code on another, and the
failures one process counts must stop the others.
"""

from __future__ import annotations

import time
from binascii import unhexlify
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django_otp.oath import TOTP

from tests.integration.conftest import DEFAULT_LIMIT
from tests.integration.support import PASSWORD, PortalStack, base_env, manage, require

pytestmark = pytest.mark.integration

ADDRESS_LIMIT = 8
ENABLE_2FA = """
from accounts import twofactor
from accounts.models import User
from django_otp.oath import TOTP
import time
user = User.objects.get(username="bob")
device = twofactor.pending_device(user)
totp = TOTP(device.bin_key)
totp.time = time.time() - 30  # the previous step's code: the current one stays unused
codes = twofactor.confirm(user, device, f"{totp.token():06d}")
print(device.key, codes[0])
"""


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, static_root: Path) -> Iterator[PortalStack]:
    require("nginx")
    root = tmp_path_factory.mktemp("sign-in-limits")
    env = base_env(
        root,
        PORTAL_STATIC_ROOT=str(static_root),
        PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT=str(ADDRESS_LIMIT),
    )
    stack = PortalStack("nginx", root, env, DEFAULT_LIMIT, root / "media", app_servers=2)
    stack.start()
    yield stack
    stack.stack.stop()


def login_form(url: str) -> requests.Session:
    """A browser that has fetched the login page (for its CSRF cookie)."""
    session = requests.Session()
    session.get(f"{url}/accounts/login/", timeout=30).raise_for_status()
    return session


def post(session: requests.Session, url: str, path: str, data: dict[str, str]) -> requests.Response:
    return session.post(
        url + path,
        data={**data, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": url + path},
        allow_redirects=False,
        timeout=30,
    )


def current_code(key_hex: str, steps: int = 0) -> str:
    totp = TOTP(unhexlify(key_hex))
    totp.time = time.time() + 30 * steps
    return f"{totp.token():06d}"


def test_two_factor_sign_in_across_app_servers(portal: PortalStack) -> None:
    printed = manage(portal.manage_env, "shell", "-c", ENABLE_2FA)
    key, recovery = printed.splitlines()[-1].split()  # after django-axes' banner
    for typed in (current_code(key), recovery):
        session = login_form(portal.url)
        step = post(
            session, portal.url, "/accounts/login/", {"username": "bob", "password": PASSWORD}
        )
        assert step.status_code == 302
        assert step.headers["Location"] == "/accounts/login/code/"
        # Only the password: every request (spread over four processes) is sent to log in.
        for _ in range(4):
            page = session.get(f"{portal.url}/files/", allow_redirects=False, timeout=30)
            assert page.status_code == 302
            assert page.headers["Location"].startswith("/accounts/login/")
        signed = post(session, portal.url, "/accounts/login/code/", {"code": typed})
        assert signed.status_code == 302
        assert signed.headers["Location"] == "/files/"
        for _ in range(4):
            assert session.get(f"{portal.url}/files/", timeout=30).status_code == 200
        # The same code again, from a new sign-in: refused, whichever process answers.
        session = login_form(portal.url)
        post(session, portal.url, "/accounts/login/", {"username": "bob", "password": PASSWORD})
        again = post(session, portal.url, "/accounts/login/code/", {"code": typed})
        assert again.status_code == 200
        assert "That code is not right" in again.text


def test_one_address_trying_many_usernames_is_stopped_on_every_process(
    portal: PortalStack,
) -> None:
    manage(portal.manage_env, "axes_reset")  # from zero, whatever ran before on this stack
    answers = []
    for n in range(ADDRESS_LIMIT):
        session = login_form(portal.url)
        data = {"username": f"nobody{n}", "password": "guess"}
        answers.append(post(session, portal.url, "/accounts/login/", data).status_code)
    assert answers == [200] * (ADDRESS_LIMIT - 1) + [429]
    for _ in range(4):  # alice's right password, on whichever process, from this address
        session = login_form(portal.url)
        data = {"username": "alice", "password": PASSWORD}
        assert post(session, portal.url, "/accounts/login/", data).status_code == 429
