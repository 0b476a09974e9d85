"""Search hits come in the order asked for, however the database is told to find them.

On PostgreSQL a search with few hits hides the sort columns from the planner,
so that it finds the hits through the trigram index and sorts them
(files/search.py says why); with many hits it keeps the plain order.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from files.folders import search
from files.models import UploadedFile
from files.tests.conftest import MakeFile

SIZES_AND_AGES = [(30, 2), (10, 1), (20, 3), (40, 5), (5, 4)]


@pytest.fixture
def hits(alice: User, make_file: MakeFile) -> list[UploadedFile]:
    now = timezone.now()
    files = []
    for i, (size, days_ago) in enumerate(SIZES_AND_AGES):
        upload = make_file(alice, f"Report {i}.txt", b"x" * size)
        UploadedFile.objects.filter(pk=upload.pk).update(created=now - timedelta(days=days_ago))
        files.append(upload)
    make_file(alice, "unrelated.txt")
    return files


def page_names(client: Client, **params: str) -> list[str]:
    response = client.get("/files/", {"q": "report", **params})
    assert response.status_code == 200
    return [upload.name for upload in response.context["files"]]


@pytest.mark.parametrize("sort", sorted(search.SORT_ORDERS))
@pytest.mark.parametrize("few_hits", [0, 100])
def test_hits_come_in_the_order_asked_for_either_way(
    alice_client: Client,
    hits: list[UploadedFile],
    monkeypatch: pytest.MonkeyPatch,
    settings,
    sort: str,
    few_hits: int,
) -> None:
    monkeypatch.setattr(search, "FEW_HITS", few_hits)
    settings.PORTAL_FILES_PER_PAGE = 2
    expected = list(
        UploadedFile.objects.filter(name__icontains="report")
        .order_by(*search.SORT_ORDERS[sort], "pk")
        .values_list("name", flat=True)
    )

    pages = [page_names(alice_client, sort=sort, page=str(n)) for n in (1, 2, 3)]

    assert [name for page in pages for name in page] == expected


@pytest.mark.parametrize("few_hits, hidden", [(100, True), (2, False)])
def test_only_few_hits_on_postgresql_are_found_first_and_sorted(
    alice_client: Client,
    hits: list[UploadedFile],
    monkeypatch: pytest.MonkeyPatch,
    few_hits: int,
    hidden: bool,
) -> None:
    monkeypatch.setattr(search, "FEW_HITS", few_hits)
    with CaptureQueriesContext(connection) as queries:
        page_names(alice_client)
    [page] = [q["sql"] for q in queries if "ORDER BY" in q["sql"] and "uploadedfile" in q["sql"]]
    order_by = page.rsplit("ORDER BY", 1)[1]

    # "created" + interval '0': the same order, which no index can serve.
    assert ("+" in order_by) is (hidden and connection.vendor == "postgresql"), page


def test_a_folder_page_without_a_query_keeps_its_indexed_order(
    alice_client: Client, hits: list[UploadedFile]
) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert alice_client.get("/files/").status_code == 200
    pages = [q["sql"] for q in queries if "ORDER BY" in q["sql"] and "uploadedfile" in q["sql"]]

    assert pages and all("+" not in sql.rsplit("ORDER BY", 1)[1] for sql in pages)


@pytest.mark.parametrize("query", ["a%00b", "a%0Db", "a\u202eb"])
def test_a_query_loses_the_characters_no_name_holds(
    alice_client: Client, alice: User, make_file: MakeFile, query: str
) -> None:
    # Before: a NUL reached PostgreSQL, which refused the statement (a 500).
    make_file(alice, "ab.txt")
    response = alice_client.get("/files/?q=" + query)
    assert response.status_code == 200
    assert [upload.name for upload in response.context["files"]] == ["ab.txt"]
