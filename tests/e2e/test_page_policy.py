"""The admin's pages under the strict Content-Security-Policy, in a real Chromium.

The site's own pages are walked by the phone test in test_folders_and_uploads.py;
the admin is Django's code, so it gets a walk of its own.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from files.sharing import grants
from files.uploads import intake
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


def test_the_users_list_fits_1280_px(browser, live_server, screenshots) -> None:
    """Every column of the users list, the storage one last but one, without scrolling sideways."""
    User.objects.create_superuser("root", "root@example.org", "a long admin passphrase")
    alexandra = User.objects.create_user(
        "alexandra.konstantinopoulou", "alexandra.konstantinopoulou@example.org", "password",
        quota=10 * 1024**3,
    )  # fmt: skip
    # A row in each of the files admin's lists, with long names.
    name = "quarterly-report-for-the-board-of-directors-2026-final.pdf"
    incoming = SimpleUploadedFile(name, b"%PDF-1.4\n" + b"x" * 2000)
    [stored] = intake.store_uploads(alexandra, [intake.accept_incoming(incoming)])
    grants.share(stored, User.objects.create_user("bartholomew.featherstonehaugh"))
    grants.create_link(stored, label="For the auditors, until the end of the quarter")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto("/admin/login/?next=/admin/accounts/user/")
        page.fill("input[name=username]", "root")
        page.fill("input[name=password]", "a long admin passphrase")
        page.click("main button:has-text('Log in')")
        page.wait_for_selector("#result_list")
        page.screenshot(path=screenshots / "40-admin-users-1280.png", full_page=True)
        results = page.locator("#changelist .results")
        assert results.evaluate("el => el.scrollWidth <= el.clientWidth"), "the list scrolls"
        cell = page.locator("#result_list td.field-storage", has_text="of 10.0")
        box, frame = cell.bounding_box(), results.bounding_box()
        assert box is not None and frame is not None
        assert box["x"] + box["width"] <= frame["x"] + frame["width"]
        assert cell.inner_text() == "2.0\xa0KB of 10.0\xa0GB (0 %)"
        for listed in ("uploadedfile", "link", "share"):
            page.goto(f"/admin/files/{listed}/")
            page.screenshot(path=screenshots / f"41-admin-{listed}-1280.png", full_page=True)
            results = page.locator("#changelist .results")
            assert results.evaluate("el => el.scrollWidth <= el.clientWidth"), listed
    finally:
        context.close()
