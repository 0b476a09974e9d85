"""Two-factor sign-in in a real Chromium: set up from the page's secret, then sign in with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from accounts.models import User
from accounts.tests.otp import code_from_secret
from tests.e2e.test_accessibility import WCAG_21_AA
from tests.e2e.test_folders_and_uploads import watch_policy_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button:has-text('Log in')")


def log_out(page) -> None:
    page.click("header button:has-text('Log out')")
    page.wait_for_url(re.compile(r"/accounts/login/$"))


def accessibility_violations(page, axe: Axe) -> list[str]:
    results = axe.run(page, options=WCAG_21_AA)
    return [f"{page.url}: {v['id']} ({v['help']})" for v in results.response["violations"]]


def test_a_user_turns_on_two_factor_and_signs_in_with_a_code_and_a_recovery_code(
    page, screenshots: Path
) -> None:
    User.objects.create_user("alice", "alice@example.org", "a long enough passphrase")
    blocked = watch_policy_violations(page)
    axe = Axe()
    found: list[str] = []
    log_in(page, "alice", "a long enough passphrase")
    page.wait_for_url(re.compile(r"/files/$"))

    page.goto("/accounts/2fa/")
    assert "is off" in page.locator("#two-factor-status").inner_text()
    found += accessibility_violations(page, axe)
    page.click("text=Set up two-factor sign-in")
    found += accessibility_violations(page, axe)
    qr = page.locator(".qr svg")
    assert qr.is_visible() and qr.bounding_box()["width"] > 100  # drawn, big enough to scan
    page.screenshot(path=str(screenshots / "two-factor-setup.png"))
    secret = page.locator("#secret").inner_text()
    # What an authenticator app does with the typed secret.
    page.fill("input[name=code]", code_from_secret(secret))
    page.click("button:has-text('Turn on')")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    found += accessibility_violations(page, axe)
    page.goto("/accounts/2fa/")
    assert "is on" in page.locator("#two-factor-status").inner_text()
    found += accessibility_violations(page, axe)
    log_out(page)

    # The password alone leads to the code step, and to nothing else.
    log_in(page, "alice", "a long enough passphrase")
    page.wait_for_url(re.compile(r"/accounts/login/code/$"))
    page.goto("/files/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/files/$"))
    page.goto("/accounts/login/code/")
    found += accessibility_violations(page, axe)
    # The next time step's code: the current one was used up by turning it on.
    page.fill("input[name=code]", code_from_secret(secret, 1))
    page.click("main button:has-text('Sign in')")
    page.wait_for_url(re.compile(r"/files/$"))
    log_out(page)

    # Without the phone: a recovery code, typed as shown, once.
    log_in(page, "alice", "a long enough passphrase")
    page.wait_for_url(re.compile(r"/accounts/login/code/$"))
    page.fill("input[name=code]", codes[0])
    page.click("main button:has-text('Sign in')")
    page.wait_for_url(re.compile(r"/files/$"))
    page.goto("/accounts/2fa/")
    assert "9 unused recovery codes" in page.locator("#two-factor-status").inner_text()
    log_out(page)

    log_in(page, "alice", "a long enough passphrase")
    page.fill("input[name=code]", codes[0])
    page.click("main button:has-text('Sign in')")
    assert page.locator("text=That code is not right").is_visible()
    assert re.search(r"/accounts/login/code/$", page.url)
    assert found == [], "\n".join(found)
    assert blocked == [], "the Content-Security-Policy blocked something"
