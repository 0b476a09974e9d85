"""The reader's time zone: read from the browser's cookie, named next to every time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.models import User
from files.models import Folder, Link
from files.sharing import grants
from files.tests.conftest import MakeFolder
from files.tests.conftest import make_folder as make_folder  # noqa: F401  (fixture)
from portal.timezones import COOKIE


@pytest.fixture
def folder(alice: User, make_folder: MakeFolder) -> Folder:
    return make_folder(alice, "Projects")


def test_an_expiry_is_read_in_the_readers_zone(alice_client: Client, folder: Folder) -> None:
    alice_client.cookies[COOKIE] = "Europe/Paris"
    response = alice_client.post(
        f"/files/folders/{folder.pk}/sharing/link/",
        {"kind": "download", "expires": "2030-06-01T12:00"},
    )
    assert response.status_code == 302
    # Paris is at UTC+2 in June: noon there is ten o'clock UTC.
    assert Link.objects.get().expires == datetime(2030, 6, 1, 10, 0, tzinfo=UTC)


def test_the_links_table_shows_the_expiry_in_the_readers_zone_and_names_it(
    alice_client: Client, folder: Folder
) -> None:
    grants.create_link(folder, expires=datetime(2030, 6, 1, 10, 0, tzinfo=UTC))
    alice_client.cookies[COOKIE] = "Asia/Tokyo"
    html = alice_client.get(f"/files/folders/{folder.pk}/sharing/").content.decode()
    assert "2030-06-01 19:00 JST (UTC+0900)" in html
    assert "In your time zone, Asia/Tokyo." in html
    assert 'data-timezone="Asia/Tokyo"' in html


def test_without_a_cookie_times_are_utc_and_say_so(alice_client: Client, folder: Folder) -> None:
    grants.create_link(folder, expires=datetime(2030, 6, 1, 10, 0, tzinfo=UTC))
    html = alice_client.get(f"/files/folders/{folder.pk}/sharing/").content.decode()
    assert "2030-06-01 10:00 UTC (UTC+0000)" in html
    assert "In your time zone, UTC." in html


@pytest.mark.parametrize("cookie", ["Mars/Olympus", "../../etc/passwd", "", "UTC\x00"])
def test_a_zone_that_is_not_one_is_ignored(
    alice_client: Client, folder: Folder, cookie: str
) -> None:
    alice_client.cookies[COOKIE] = cookie
    response = alice_client.get(f"/files/folders/{folder.pk}/sharing/")
    assert response.status_code == 200
    assert 'data-timezone="UTC"' in response.content.decode()


def test_an_expired_link_tells_its_visitor_when_in_their_zone(
    client: Client, folder: Folder
) -> None:
    link, token = grants.create_link(folder)
    Link.objects.filter(pk=link.pk).update(expires=datetime(2020, 1, 1, 12, 0, tzinfo=UTC))
    client.cookies[COOKIE] = "America/New_York"
    html = client.get(f"/s/{token}/").content.decode()
    assert "It expired on 2020-01-01 07:00 EST (UTC-0500)." in html


def test_every_page_loads_the_zone_script(alice_client: Client) -> None:
    html = alice_client.get("/files/").content.decode()
    assert "/static/timezone.js" in html
    assert "<script>" not in html  # no inline script
