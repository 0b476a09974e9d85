"""GET /files/: the owner's files only, paginated, sortable, searchable, in constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries, Settings

from accounts.models import User
from files.models import UploadedFile
from files.tests.conftest import MakeFile

URL = "/files/"


def names(response: HttpResponse) -> list[str]:
    assert response.status_code == 200
    return [upload.name for upload in response.context["files"]]


@pytest.fixture
def three_files(alice: User, make_file: MakeFile) -> list[UploadedFile]:
    """Names, sizes and upload times that each sort into a different order."""
    now = timezone.now()
    files = [
        make_file(alice, "banana.txt", b"x" * 30),
        make_file(alice, "Apple.txt", b"x" * 10),
        make_file(alice, "cherry.txt", b"x" * 20),
    ]
    for days_ago, upload in zip([2, 1, 3], files, strict=True):
        UploadedFile.objects.filter(pk=upload.pk).update(created=now - timedelta(days=days_ago))
    return files


def test_it_lists_only_the_owners_files(
    alice: User, bob: User, alice_client: Client, make_file: MakeFile
) -> None:
    make_file(alice, "mine.txt")
    make_file(bob, "theirs.txt")
    response = alice_client.get(URL)
    assert names(response) == ["mine.txt"]
    assert "theirs.txt" not in response.content.decode()


def test_it_links_each_file(alice: User, alice_client: Client, make_file: MakeFile) -> None:
    upload = make_file(alice, "mine.txt")
    html = alice_client.get(URL).content.decode()
    assert f'href="/files/{upload.pk}/"' in html
    assert f'href="/files/{upload.pk}/download/"' in html


def test_it_shows_storage_used(alice: User, alice_client: Client, make_file: MakeFile) -> None:
    alice.quota = 4096
    alice.save()
    make_file(alice, "a.bin", b"x" * 2048)
    assert "Using 2.0\xa0KB of 4.0\xa0KB (2.0\xa0KB free)" in alice_client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Apple.txt", "banana.txt", "cherry.txt"]),
        ("-name", ["cherry.txt", "banana.txt", "Apple.txt"]),
        ("size", ["Apple.txt", "cherry.txt", "banana.txt"]),
        ("-size", ["banana.txt", "cherry.txt", "Apple.txt"]),
        ("created", ["cherry.txt", "banana.txt", "Apple.txt"]),
        ("-created", ["Apple.txt", "banana.txt", "cherry.txt"]),
    ],
)
def test_it_sorts(
    alice_client: Client, three_files: list[UploadedFile], sort: str, expected: list[str]
) -> None:
    response = alice_client.get(URL, {"sort": sort})
    assert names(response) == expected
    assert response.context["sort"] == sort


@pytest.mark.parametrize("sort", ["", "owner", "-sha256", "name; DROP TABLE", "NAME"])
def test_it_falls_back_to_newest_first_for_an_unknown_sort(
    alice_client: Client, three_files: list[UploadedFile], sort: str
) -> None:
    response = alice_client.get(URL, {"sort": sort})
    assert names(response) == ["Apple.txt", "banana.txt", "cherry.txt"]
    assert response.context["sort"] == "-created"


def test_it_sorts_newest_first_by_default(
    alice_client: Client, three_files: list[UploadedFile]
) -> None:
    assert names(alice_client.get(URL)) == ["Apple.txt", "banana.txt", "cherry.txt"]


def test_its_sort_headers_reverse_the_current_order(
    alice_client: Client, three_files: list[UploadedFile]
) -> None:
    html = alice_client.get(URL, {"sort": "name", "q": "a"}).content.decode()
    assert 'aria-sort="ascending"' in html
    assert 'href="?q=a&amp;sort=-name"' in html
    assert 'href="?q=a&amp;sort=size"' in html


def test_it_searches_names_case_insensitively(
    alice: User, bob: User, alice_client: Client, make_file: MakeFile
) -> None:
    make_file(alice, "Report-2026.pdf")
    make_file(alice, "annual REPORT.txt")
    make_file(alice, "notes.txt")
    make_file(bob, "bobs report.txt")
    response = alice_client.get(URL, {"q": " report ", "sort": "name"})
    assert names(response) == ["annual REPORT.txt", "Report-2026.pdf"]
    assert response.context["query"] == "report"


def test_a_query_in_another_unicode_normal_form_finds_the_name(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    make_file(alice, "rapport d\u2019\u00e9t\u00e9.pdf")  # stored as NFC, as uploads are
    make_file(alice, "rapport annuel.pdf")
    response = alice_client.get(URL, {"q": "e\u0301t\u00e9"})  # "été" with a combining accent
    assert names(response) == ["rapport d\u2019\u00e9t\u00e9.pdf"]


def test_it_paginates(
    alice: User, alice_client: Client, make_file: MakeFile, settings: Settings
) -> None:
    settings.PORTAL_FILES_PER_PAGE = 2
    for i in range(5):
        make_file(alice, f"file{i}.txt")
    first = alice_client.get(URL, {"sort": "name"})
    assert names(first) == ["file0.txt", "file1.txt"]
    assert "Page 1 of 3 (5 files)" in first.content.decode()
    assert names(alice_client.get(URL, {"sort": "name", "page": 3})) == ["file4.txt"]


def test_it_handles_a_page_past_the_end(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    make_file(alice)
    assert alice_client.get(URL, {"page": 9}).status_code == 404


def test_its_pagination_links_keep_the_query_and_sort(
    alice: User, alice_client: Client, make_file: MakeFile, settings: Settings
) -> None:
    settings.PORTAL_FILES_PER_PAGE = 1
    for name in ["a b&c 1.txt", "a b&c 2.txt", "a b&c 3.txt", "other.txt"]:
        make_file(alice, name)
    response = alice_client.get(URL, {"q": "a b&c", "sort": "-name", "page": 2})
    assert names(response) == ["a b&c 2.txt"]
    html = response.content.decode()
    assert 'href="?q=a%20b%26c&amp;sort=-name&amp;page=1" rel="prev"' in html
    assert 'href="?q=a%20b%26c&amp;sort=-name&amp;page=3" rel="next"' in html


def test_it_runs_the_same_queries_for_one_file_or_thirty(
    alice: User,
    alice_client: Client,
    make_file: MakeFile,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    make_file(alice, "first.txt")
    with CaptureQueriesContext(connection) as one:
        assert len(names(alice_client.get(URL))) == 1
    for i in range(29):
        make_file(alice, f"file{i}.txt")
    with CaptureQueriesContext(connection) as thirty:
        assert len(names(alice_client.get(URL))) == 25
    assert len(thirty) == len(one)
    # session, user, count, page, storage used, the folders to move files to
    with django_assert_max_num_queries(6):
        alice_client.get(URL, {"sort": "name", "q": "file", "page": 2})


def test_it_invites_a_first_upload(alice_client: Client) -> None:
    response = alice_client.get(URL)
    assert names(response) == []
    assert "No files yet." in response.content.decode()


def test_it_says_when_a_search_finds_nothing(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    make_file(alice, "notes.txt")
    response = alice_client.get(URL, {"q": "<zzz>"})
    assert names(response) == []
    assert "No file names contain “&lt;zzz&gt;”." in response.content.decode()


def test_it_sends_anonymous_users_to_login(client: Client, db: None) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/files/"
