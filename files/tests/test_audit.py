"""The download trail: what is recorded, what is not, the admin and the prune command."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from accounts.models import User
from files import access
from files.models import DownloadEvent, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder
from files.tests.utils import image_bytes


@pytest.fixture
def upload(alice: User, make_file: MakeFile) -> UploadedFile:
    return make_file(alice, "pic.png", image_bytes())


def test_a_download_is_recorded_as_direct(
    alice: User, alice_client: Client, upload: UploadedFile
) -> None:
    alice_client.get(f"/files/{upload.pk}/download/", REMOTE_ADDR="192.0.2.1")
    event = DownloadEvent.objects.get()
    assert (event.file, event.file_name, event.owner, event.user, event.link) == (
        upload,
        "pic.png",
        alice,
        alice,
        None,
    )
    assert (event.ip, event.via) == ("192.0.2.1", "direct")


def test_a_signed_redirect_is_recorded_as_signed(
    alice_client: Client, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_SENDFILE = "nginx"
    settings.PORTAL_SIGNED_URL_SECRET = "s" * 43
    assert alice_client.get(f"/files/{upload.pk}/download/").status_code == 302
    assert DownloadEvent.objects.get().via == "signed"


def test_previews_heads_and_refusals_are_not_downloads(
    alice_client: Client, bob_client: Client, upload: UploadedFile
) -> None:
    assert alice_client.get(f"/files/{upload.pk}/preview/").status_code == 200
    assert alice_client.head(f"/files/{upload.pk}/download/").status_code == 200
    assert bob_client.get(f"/files/{upload.pk}/download/").status_code == 404
    assert not DownloadEvent.objects.exists()


def test_the_trail_outlives_the_file(alice_client: Client, upload: UploadedFile) -> None:
    alice_client.get(f"/files/{upload.pk}/download/")
    upload.delete()
    event = DownloadEvent.objects.get()
    assert (event.file, event.file_name) == (None, "pic.png")


def test_the_admin_lists_and_filters_downloads(
    admin_client: Client, alice_client: Client, client: Client, upload: UploadedFile
) -> None:
    alice_client.get(f"/files/{upload.pk}/download/")
    _, token = grants.create_link(upload)
    client.get(f"/s/{token}/download/{upload.pk}/")
    page = admin_client.get("/admin/files/downloadevent/")
    assert page.status_code == 200
    assert len(page.context["cl"].result_list) == 2
    only_links = admin_client.get("/admin/files/downloadevent/", {"via__exact": "link"})
    assert len(only_links.context["cl"].result_list) == 1


def test_prune_deletes_only_old_entries(alice_client: Client, upload: UploadedFile) -> None:
    for _ in range(3):
        alice_client.get(f"/files/{upload.pk}/download/")
    old = DownloadEvent.objects.all()[:2]
    DownloadEvent.objects.filter(pk__in=[e.pk for e in old]).update(
        created=timezone.now() - timedelta(days=200)
    )
    out = StringIO()
    call_command("portal_prune_downloads", stdout=out)
    assert "Deleted 2 download record(s)." in out.getvalue()
    assert DownloadEvent.objects.count() == 1
    call_command("portal_prune_downloads", "--days", "0", stdout=StringIO())
    assert not DownloadEvent.objects.exists()


def test_staff_revoke_shares_and_links_in_the_admin(
    admin_client: Client, alice: User, bob: User, upload: UploadedFile
) -> None:
    share = grants.share(upload, bob)
    link, _ = grants.create_link(upload)
    assert admin_client.get("/admin/files/share/").status_code == 200
    assert admin_client.get("/admin/files/link/").status_code == 200
    admin_client.post(
        "/admin/files/share/", {"action": "revoke_shares", "_selected_action": [share.pk]}
    )
    admin_client.post(
        "/admin/files/link/", {"action": "revoke_links", "_selected_action": [link.pk]}
    )
    assert not access.readable_files(bob).exists()
    link.refresh_from_db()
    assert link.revoked is not None


def test_the_user_admin_shows_usage_against_quota(
    admin_client: Client, alice: User, make_file: MakeFile
) -> None:
    alice.quota = 100
    alice.save()
    make_file(alice, "a.bin", b"x" * 25)
    html = admin_client.get("/admin/accounts/user/").content.decode()
    assert '<td class="field-storage">25\xa0bytes of 100\xa0bytes (25 %)</td>' in html


def test_the_download_admin_runs_constant_queries(
    admin_client: Client, client: Client, upload: UploadedFile
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get("/admin/files/downloadevent/").status_code == 200
        return len(captured.captured_queries)

    _, token = grants.create_link(upload)
    client.get(f"/s/{token}/download/{upload.pk}/")
    queries()  # warm: the admin's first request loads content types
    with_one = queries()
    for _ in range(5):
        _, other = grants.create_link(upload)
        client.get(f"/s/{other}/download/{upload.pk}/")
    assert queries() == with_one


def test_deleting_a_reader_a_link_or_a_folder_keeps_the_rows(
    alice: User, bob: User, make_folder: MakeFolder, upload: UploadedFile
) -> None:
    folder = make_folder(alice)
    link, _ = grants.create_link(upload)
    common = {"file_name": "pic.png", "owner": alice, "via": "direct"}
    DownloadEvent.objects.create(file=upload, user=bob, **common)
    DownloadEvent.objects.create(file=upload, link=link, **common)
    DownloadEvent.objects.create(folder=folder, files_in_zip=1, user=alice, **common)
    bob.delete()
    link.delete()
    folder.delete()
    rows = DownloadEvent.objects.order_by("pk").values_list("user", "link", "folder")
    assert list(rows) == [(None, None, None), (None, None, None), (alice.pk, None, None)]


def test_deleting_the_owner_deletes_the_rows_of_their_files(
    alice: User, bob: User, upload: UploadedFile
) -> None:
    DownloadEvent.objects.create(file=upload, file_name="pic.png", owner=alice, user=bob)
    DownloadEvent.objects.create(file_name="bobs.txt", owner=bob, user=alice)
    alice.delete()
    assert list(DownloadEvent.objects.values_list("file_name", "owner", "user")) == [
        ("bobs.txt", bob.pk, None)
    ]


def test_set_null_finds_the_rows_through_the_partial_indexes(
    alice: User, bob: User, make_folder: MakeFolder, upload: UploadedFile
) -> None:
    """A partial index (x IS NOT NULL) serves `x IN (...)`; a scan would read the whole trail."""
    folder = make_folder(alice)
    link, _ = grants.create_link(upload)
    with CaptureQueriesContext(connection) as captured:
        bob.delete()
        link.delete()
        folder.delete()
    plans = {}
    with connection.cursor() as cursor:
        # PostgreSQL would scan a table this small: forbid it, to see the index is usable.
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
        explain = "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN"
        for query in captured.captured_queries:
            if query["sql"].startswith('UPDATE "files_downloadevent"'):
                column = query["sql"].split('SET "')[1].split('"')[0]
                cursor.execute(f"{explain} {query['sql']}")
                plans[column] = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert sorted(plans) == ["folder_id", "link_id", "user_id"]
    for column, plan in plans.items():
        assert f"downloadevent_{column.removesuffix('_id')} " in plan, plan
