"""The admin's pages under the strict Content-Security-Policy, in a real Chromium.

The site's own pages are walked by the phone test in test_folders_and_uploads.py;
the admin is Django's code, so it gets a walk of its own.
"""

from __future__ import annotations

import pytest

from accounts.models import User
from tests.e2e.test_folders_and_uploads import watch_policy_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_admin_runs_under_the_policy(page) -> None:
    User.objects.create_superuser("root", "root@example.org", "a long admin passphrase")
    alice = User.objects.create_user("alice", "alice@example.org", "password")
    blocked = watch_policy_violations(page)

    # /admin/login/ leads to the site's two-step login (accounts/views.py).
    page.goto("/admin/login/?next=/admin/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", "a long admin passphrase")
    page.click("main button:has-text('Log in')")
    page.wait_for_selector("#site-name")
    for path in (
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{alice.pk}/change/",
        "/admin/files/uploadedfile/",
        "/admin/accounts/user/add/",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
    # The admin's own script ran: the user filter's collapsible sidebar is there.
    page.goto("/admin/accounts/user/")
    assert page.locator("#changelist-filter").count() == 1

    assert blocked == [], "the Content-Security-Policy blocked something in the admin"
