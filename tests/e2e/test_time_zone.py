"""The browser's time zone reaches the server (static/timezone.js): a link's expiry
is typed, stored and shown in it, with the zone named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accounts.models import User
from files.folders import tree
from files.models import Link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_link_expiry_typed_in_tokyo_lives_until_that_hour_in_tokyo(browser, live_server) -> None:
    alice = User.objects.create_user("alice", password="password")
    folder = tree.create_folder(alice, None, "Projects")
    context = browser.new_context(base_url=live_server.url, timezone_id="Asia/Tokyo")
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", "password")
        page.click("button[type=submit]")
        page.goto(f"/files/folders/{folder.pk}/sharing/")
        # The first page was made in UTC; the script set the cookie and loaded it again.
        page.wait_for_selector("html[data-timezone='Asia/Tokyo']", state="attached")
        page.click("summary:has-text('New link…')")
        page.wait_for_selector("text=In your time zone, Asia/Tokyo.")
        assert page.locator("html").get_attribute("data-timezone") == "Asia/Tokyo"
        page.fill("input[name=expires]", "2030-06-01T09:00")
        page.click("button:has-text('Create link')")
        page.wait_for_selector("table.links")
        assert Link.objects.get().expires == datetime(2030, 6, 1, 0, 0, tzinfo=UTC)
        assert "2030-06-01 09:00 JST (UTC+0900)" in page.locator("table.links").inner_text()
    finally:
        context.close()
