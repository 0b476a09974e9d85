"""/s/<token>/: public file and folder links, their passwords, limits and ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries, Settings

from accounts.models import User
from files.models import DownloadEvent, Folder, Link, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder
from files.tests.utils import body


@pytest.fixture(autouse=True)
def _empty_cache(db: None) -> None:
    # The password-guess counters live in the cache, which may outlive a test
    # (Redis, CACHE_URL=locmem://); the database cache rolls back with it.
    cache.clear()


@pytest.fixture
def upload(alice: User, make_file: MakeFile) -> UploadedFile:
    return make_file(alice, "report.pdf", b"%PDF-1.4 the report")


@pytest.fixture
def folder(alice: User, make_folder: MakeFolder, make_file: MakeFile) -> Folder:
    """alice's Holiday/ with a.txt, and Day 1/ below it with b.txt."""
    holiday = make_folder(alice, "Holiday")
    day1 = make_folder(alice, "Day 1", parent=holiday)
    make_file(alice, "a.txt", b"aaa", folder=holiday)
    make_file(alice, "b.txt", b"bbb", folder=day1)
    return holiday


def url(token: str, rest: str = "") -> str:
    return f"/s/{token}/{rest}"


def test_a_file_link_shows_name_size_and_a_download_button(
    client: Client, upload: UploadedFile
) -> None:
    _, token = grants.create_link(upload, label="For the board")
    response = client.get(url(token))
    assert response.status_code == 200
    html = response.content.decode()
    assert "report.pdf" in html
    assert "For the board" in html
    assert f'href="/s/{token}/download/{upload.pk}/"' in html
    assert response["Referrer-Policy"] == "no-referrer"


def test_it_downloads_through_the_serving_backend(client: Client, upload: UploadedFile) -> None:
    link, token = grants.create_link(upload)
    response = client.get(url(token, f"download/{upload.pk}/"))
    assert response.status_code == 200
    assert body(response) == b"%PDF-1.4 the report"
    assert response["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"
    link.refresh_from_db()
    assert link.downloads == 1


def test_it_records_the_download_with_link_and_address(
    client: Client, upload: UploadedFile
) -> None:
    link, token = grants.create_link(upload)
    client.get(url(token, f"download/{upload.pk}/"), REMOTE_ADDR="203.0.113.9")
    event = DownloadEvent.objects.get()
    assert (event.file, event.link, event.user, event.ip, event.via) == (
        upload,
        link,
        None,
        "203.0.113.9",
        "link",
    )


def test_it_takes_the_client_address_from_our_front_server(
    client: Client, upload: UploadedFile
) -> None:
    _, token = grants.create_link(upload)
    client.get(
        url(token, f"download/{upload.pk}/"),
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.7",
    )
    assert DownloadEvent.objects.get().ip == "198.51.100.7"


def test_a_head_request_uses_no_download(client: Client, upload: UploadedFile) -> None:
    link, token = grants.create_link(upload, download_limit=1)
    assert client.head(url(token, f"download/{upload.pk}/")).status_code == 200
    link.refresh_from_db()
    assert link.downloads == 0
    assert not DownloadEvent.objects.exists()


def test_a_wrong_token_is_404(client: Client, upload: UploadedFile) -> None:
    grants.create_link(upload)
    assert client.get(url("not-a-token")).status_code == 404
    assert client.get(url("x" * 43, f"download/{upload.pk}/")).status_code == 404


def test_a_file_link_does_not_open_other_files(
    client: Client, upload: UploadedFile, alice: User, make_file: MakeFile
) -> None:
    other = make_file(alice, "private.txt")
    _, token = grants.create_link(upload)
    assert client.get(url(token, f"download/{other.pk}/")).status_code == 404


def test_the_token_is_long_random_and_stored_only_as_a_hash(upload: UploadedFile) -> None:
    link, token = grants.create_link(upload)
    other, second = grants.create_link(upload)
    assert len(token) >= 43
    assert token != second
    assert token not in link.token_hash
    assert link.token_hash == grants.token_hash(token)
    assert grants.find_link(token) == link


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"expires": timezone.now() - timedelta(minutes=1)}, "expired"),
        ({"revoked": timezone.now()}, "withdrawn"),
        ({"download_limit": 2, "downloads": 2}, "used as many times"),
    ],
)
def test_a_closed_link_is_410_and_sends_nothing(
    client: Client, upload: UploadedFile, change: dict[str, object], reason: str
) -> None:
    link, token = grants.create_link(upload)
    Link.objects.filter(pk=link.pk).update(**change)
    page = client.get(url(token))
    assert page.status_code == 410
    assert reason in page.content.decode()
    download = client.get(url(token, f"download/{upload.pk}/"))
    assert download.status_code == 410
    assert b"the report" not in body(download)
    assert "Content-Disposition" not in download


def test_a_limited_link_sends_exactly_its_limit(client: Client, upload: UploadedFile) -> None:
    _, token = grants.create_link(upload, download_limit=2)
    statuses = [client.get(url(token, f"download/{upload.pk}/")).status_code for _ in range(4)]
    assert statuses == [200, 200, 410, 410]
    assert DownloadEvent.objects.count() == 2


def test_a_limited_link_never_hands_out_a_signed_url(
    client: Client, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_SENDFILE = "nginx"
    settings.PORTAL_SIGNED_URL_SECRET = "s" * 43
    limited, limited_token = grants.create_link(upload, download_limit=5)
    unlimited, unlimited_token = grants.create_link(upload)
    response = client.get(url(limited_token, f"download/{upload.pk}/"))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_protected/{upload.file.name}"
    # Without a limit, repeats may skip Python: the signed URL is fine there.
    repeatable = client.get(url(unlimited_token, f"download/{upload.pk}/"))
    assert repeatable.status_code == 302
    assert repeatable["Location"].startswith("/_signed/")
    # A browser's click on it is answered in one hop (files.delivery.clicked).
    clicked = client.get(
        url(unlimited_token, f"download/{upload.pk}/"), HTTP_SEC_FETCH_MODE="navigate"
    )
    assert clicked.status_code == 200
    assert clicked["X-Accel-Redirect"] == f"/_protected/{upload.file.name}"


def test_a_folder_link_lists_files_and_subfolders(client: Client, folder: Folder) -> None:
    _, token = grants.create_link(folder)
    html = client.get(url(token)).content.decode()
    assert "a.txt" in html
    assert "Day 1/" in html
    assert "b.txt" not in html  # one level at a time
    day1 = folder.children.get()
    sub = client.get(url(token, f"f/{day1.pk}/"))
    assert sub.status_code == 200
    assert "b.txt" in sub.content.decode()
    b = UploadedFile.objects.get(name="b.txt")
    assert body(client.get(url(token, f"download/{b.pk}/"))) == b"bbb"


def test_a_folder_link_shows_nothing_outside_its_folder(
    client: Client, folder: Folder, alice: User, make_folder: MakeFolder, make_file: MakeFile
) -> None:
    elsewhere = make_folder(alice, "Private")
    secret = make_file(alice, "secret.txt", folder=elsewhere)
    day1 = folder.children.get()
    _, token = grants.create_link(day1)
    assert client.get(url(token, f"f/{folder.pk}/")).status_code == 404
    assert client.get(url(token, f"f/{elsewhere.pk}/")).status_code == 404
    assert client.get(url(token, f"download/{secret.pk}/")).status_code == 404
    a = UploadedFile.objects.get(name="a.txt")
    assert client.get(url(token, f"download/{a.pk}/")).status_code == 404
    # Its breadcrumb starts at the linked folder: the owner's names above stay hidden.
    assert "Holiday" not in client.get(url(token)).content.decode()


def test_a_folder_link_page_runs_constant_queries(
    client: Client,
    folder: Folder,
    alice: User,
    make_file: MakeFile,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    _, token = grants.create_link(folder)
    client.get(url(token))
    for n in range(5):
        make_file(alice, f"more-{n}.txt", folder=folder)
    # link, breadcrumb, subfolders, file count (pages), files; no session: nothing is stored
    with django_assert_num_queries(5):
        assert client.get(url(token)).status_code == 200


class TestPasswords:
    def test_it_asks_first_and_sends_nothing(self, client: Client, upload: UploadedFile) -> None:
        _, token = grants.create_link(upload, password="open sesame")
        page = client.get(url(token))
        assert page.status_code == 200
        assert 'type="password"' in page.content.decode()
        assert "report.pdf" not in page.content.decode()
        download = client.get(url(token, f"download/{upload.pk}/"))
        assert download.status_code == 403
        assert b"the report" not in body(download)

    def test_it_stores_only_a_hash(self, upload: UploadedFile) -> None:
        link, _ = grants.create_link(upload, password="open sesame")
        assert "open sesame" not in link.password
        assert link.password.startswith("md5$")  # the tests' fast hasher

    def test_the_right_password_opens_it_for_the_session(
        self, client: Client, upload: UploadedFile
    ) -> None:
        _, token = grants.create_link(upload, password="open sesame")
        response = client.post(url(token, "unlock/"), {"password": "open sesame"})
        assert response.status_code == 302
        assert response.url == url(token)
        assert "report.pdf" in client.get(url(token)).content.decode()
        assert body(client.get(url(token, f"download/{upload.pk}/"))) == b"%PDF-1.4 the report"
        # Another browser has not typed it.
        assert Client().get(url(token, f"download/{upload.pk}/")).status_code == 403

    def test_a_wrong_password_is_refused(self, client: Client, upload: UploadedFile) -> None:
        _, token = grants.create_link(upload, password="open sesame")
        response = client.post(url(token, "unlock/"), {"password": "guess"})
        assert response.status_code == 403
        assert "That is not the password." in response.content.decode()
        assert client.get(url(token, f"download/{upload.pk}/")).status_code == 403

    def test_guesses_are_limited_per_client(self, client: Client, upload: UploadedFile) -> None:
        _, token = grants.create_link(upload, password="open sesame")
        _, other = grants.create_link(upload, password="open sesame")
        for n in range(10):
            client.post(url(token if n % 2 else other, "unlock/"), {"password": f"guess {n}"})
        # Even the right password waits now: the limit is on trying.
        refused = client.post(url(token, "unlock/"), {"password": "open sesame"})
        assert refused.status_code == 429
        assert refused["Retry-After"] == "900"

    def test_guesses_are_limited_per_link(self, upload: UploadedFile) -> None:
        _, token = grants.create_link(upload, password="open sesame")
        for n in range(20):
            Client(REMOTE_ADDR=f"192.0.2.{n}").post(url(token, "unlock/"), {"password": "no"})
        late = Client(REMOTE_ADDR="192.0.2.200").post(url(token, "unlock/"), {"password": "no"})
        assert late.status_code == 429


def test_the_owner_needs_no_login_for_a_link_but_gets_no_more(
    alice_client: Client, upload: UploadedFile, alice: User, make_file: MakeFile
) -> None:
    other = make_file(alice, "other.txt")
    _, token = grants.create_link(upload)
    assert alice_client.get(url(token, f"download/{other.pk}/")).status_code == 404


class TestCsrf:
    """Link pages send no referrer, so a browser posts their forms with `Origin: null`."""

    @pytest.fixture
    def csrf_client(self) -> Client:
        return Client(enforce_csrf_checks=True)

    def post_unlock(self, client: Client, token: str, origin: str, csrf: bool = True) -> int:
        page = client.get(url(token))
        data = {"password": "open sesame"}
        if csrf:
            data["csrfmiddlewaretoken"] = page.context["csrf_token"]
        return client.post(url(token, "unlock/"), data, HTTP_ORIGIN=origin).status_code

    def test_a_null_origin_with_the_token_is_accepted(
        self, csrf_client: Client, upload: UploadedFile
    ) -> None:
        _, token = grants.create_link(upload, password="open sesame")
        assert self.post_unlock(csrf_client, token, "null") == 302

    def test_a_null_origin_without_the_token_is_refused(
        self, csrf_client: Client, upload: UploadedFile
    ) -> None:
        _, token = grants.create_link(upload, password="open sesame")
        assert self.post_unlock(csrf_client, token, "null", csrf=False) == 403

    def test_a_foreign_origin_is_refused(self, csrf_client: Client, upload: UploadedFile) -> None:
        _, token = grants.create_link(upload, password="open sesame")
        assert self.post_unlock(csrf_client, token, "https://evil.example") == 403


def test_a_big_folder_link_is_paginated(
    client: Client, folder: Folder, alice: User, make_file: MakeFile, settings: Settings
) -> None:
    settings.PORTAL_FILES_PER_PAGE = 2
    for name in ("c.txt", "d.txt"):
        make_file(alice, name, folder=folder)
    _, token = grants.create_link(folder)
    first = client.get(url(token))
    assert [f.name for f in first.context["files"]] == ["a.txt", "c.txt"]
    assert "Day 1/" in first.content.decode()
    second = client.get(url(token), {"page": 2})
    assert [f.name for f in second.context["files"]] == ["d.txt"]
    assert "Day 1/" not in second.content.decode()
