"""Sharing with people: the owner's sharing page, "Shared with me", editors, revocation."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries, Settings

from accounts.models import User
from files.models import Folder, Link, Share, UploadedFile
from files.sharing import grants
from files.sharing.views import SHARE_MISSES
from files.tests.conftest import MakeFile, MakeFolder


@pytest.fixture
def projects(alice: User, make_folder: MakeFolder, make_file: MakeFile) -> Folder:
    """alice's Top/Projects/ holding plan.txt: Top is never shared."""
    top = make_folder(alice, "Top secret")
    projects = make_folder(alice, "Projects", parent=top)
    make_file(alice, "plan.txt", b"the plan", folder=projects)
    return projects


def sharing_url(folder: Folder) -> str:
    return f"/files/folders/{folder.pk}/sharing/"


def test_the_owner_shares_a_folder_by_email(
    alice_client: Client, bob: User, projects: Folder
) -> None:
    response = alice_client.post(
        sharing_url(projects) + "share/", {"recipient": "BOB@example.org", "role": "editor"}
    )
    assert response.status_code == 302
    share = Share.objects.get()
    assert (share.folder, share.recipient, share.role) == (projects, bob, "editor")
    page = alice_client.get(sharing_url(projects)).content.decode()
    # The name she typed, and not the username it found.
    assert "BOB@example.org — can edit" in page
    assert "bob" not in page


def test_an_unknown_recipient_is_a_form_error(alice_client: Client, projects: Folder) -> None:
    response = alice_client.post(
        sharing_url(projects) + "share/", {"recipient": "nobody", "role": "viewer"}
    )
    assert response.status_code == 200
    assert "No single user has that name or email." in response.content.decode()
    assert not Share.objects.exists()


def test_a_file_cannot_be_shared_for_editing(
    alice_client: Client, alice: User, bob: User, make_file: MakeFile
) -> None:
    upload = make_file(alice)
    response = alice_client.post(
        f"/files/{upload.pk}/sharing/share/", {"recipient": "bob", "role": "editor"}
    )
    assert response.status_code == 200
    assert not Share.objects.exists()


def test_only_the_owner_reaches_the_sharing_page(
    bob_client: Client, charlie_client: Client, bob: User, projects: Folder
) -> None:
    grants.share(projects, bob, Share.Role.EDITOR)
    for client in (bob_client, charlie_client):
        assert client.get(sharing_url(projects)).status_code == 404
        response = client.post(sharing_url(projects) + "share/", {"recipient": "charlie"})
        assert response.status_code == 404
    assert Share.objects.count() == 1


def test_shared_with_me_lists_items_and_their_owners(
    bob_client: Client, bob: User, alice: User, projects: Folder, make_file: MakeFile
) -> None:
    grants.share(projects, bob)
    grants.share(make_file(alice, "memo.txt"), bob)
    html = bob_client.get("/files/shared/").content.decode()
    assert f'href="/files/folders/{projects.pk}/"' in html
    assert "memo.txt" in html
    assert "alice" in html


def test_shared_with_me_runs_constant_queries(
    bob_client: Client,
    bob: User,
    alice: User,
    make_file: MakeFile,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    grants.share(make_file(alice, "one.txt"), bob)
    bob_client.get("/files/shared/")
    for n in range(5):
        grants.share(make_file(alice, f"more-{n}.txt"), bob)
    # session, user, count (pages), shares with their items and owners
    with django_assert_num_queries(4):
        assert bob_client.get("/files/shared/").status_code == 200


def test_shared_with_me_is_paginated(
    bob_client: Client, bob: User, alice: User, make_file: MakeFile, settings: Settings
) -> None:
    settings.PORTAL_FILES_PER_PAGE = 2
    for n in range(3):
        grants.share(make_file(alice, f"f{n}.txt"), bob)
    assert len(bob_client.get("/files/shared/").context["shares"]) == 2
    assert len(bob_client.get("/files/shared/", {"page": 2}).context["shares"]) == 1


def test_the_list_page_keeps_its_query_count_whatever_is_shared(
    alice_client: Client,
    alice: User,
    bob: User,
    charlie: User,
    make_file: MakeFile,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    files = [make_file(alice, f"f{n}.txt") for n in range(4)]
    alice_client.get("/files/")
    with CaptureQueriesContext(connection) as unshared:
        alice_client.get("/files/")
    for upload in files:
        grants.share(upload, bob)
        grants.share(upload, charlie)
    with django_assert_num_queries(len(unshared.captured_queries)):
        assert alice_client.get("/files/").status_code == 200


def test_a_viewer_browses_with_breadcrumbs_from_the_share(
    bob_client: Client, bob: User, projects: Folder
) -> None:
    grants.share(projects, bob)
    response = bob_client.get(f"/files/folders/{projects.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "plan.txt" in html
    assert 'href="/files/shared/"' in html
    assert "Top secret" not in html  # the owner's folder above the share
    assert 'id="upload-form"' not in html  # a viewer adds nothing


def test_a_viewer_sees_and_downloads_but_changes_nothing(
    bob_client: Client, bob: User, projects: Folder
) -> None:
    grants.share(projects, bob)
    plan = UploadedFile.objects.get(name="plan.txt")
    page = bob_client.get(f"/files/{plan.pk}/")
    assert page.status_code == 200
    assert "Rename" not in page.content.decode()
    assert bob_client.get(f"/files/{plan.pk}/download/").status_code == 200
    assert bob_client.post(f"/files/{plan.pk}/", {"name": "x.txt"}).status_code == 404
    assert bob_client.post(f"/files/{plan.pk}/delete/").status_code == 404
    upload = SimpleUploadedFile("mine.txt", b"x")
    assert (
        bob_client.post(f"/files/folders/{projects.pk}/upload/", {"file": upload}).status_code
        == 404
    )


def test_an_editors_upload_belongs_to_and_counts_for_the_owner(
    bob_client: Client, bob: User, alice: User, projects: Folder
) -> None:
    grants.share(projects, bob, Share.Role.EDITOR)
    response = bob_client.post(
        f"/files/folders/{projects.pk}/upload/", {"file": SimpleUploadedFile("b.txt", b"12345")}
    )
    assert response.status_code == 302
    added = UploadedFile.objects.get(name="b.txt")
    assert (added.owner, added.folder) == (alice, projects)
    assert alice.storage_used() == len(b"the plan") + 5
    assert bob.storage_used() == 0


def test_an_editor_is_refused_by_the_owners_full_quota(
    bob_client: Client, bob: User, alice: User, projects: Folder
) -> None:
    alice.quota = 10
    alice.save()
    grants.share(projects, bob, Share.Role.EDITOR)
    response = bob_client.post(
        f"/files/folders/{projects.pk}/upload/", {"file": SimpleUploadedFile("b.txt", b"12345")}
    )
    assert response.status_code == 200
    page = response.content.decode()
    # Told the folder is full, not how big the owner's quota is.
    assert "There is no room left in this shared folder." in page
    assert "10 bytes" not in page


def test_an_editor_renames_inside_but_not_the_shared_folder_itself(
    bob_client: Client, bob: User, alice: User, projects: Folder, make_folder: MakeFolder
) -> None:
    inner = make_folder(alice, "Inner", parent=projects)
    grants.share(projects, bob, Share.Role.EDITOR)
    plan = UploadedFile.objects.get(name="plan.txt")
    assert bob_client.post(f"/files/{plan.pk}/", {"name": "plan-v2.txt"}).status_code == 302
    assert bob_client.post(f"/files/folders/{inner.pk}/rename/", {"name": "In"}).status_code == 302
    root = f"/files/folders/{projects.pk}/"
    assert bob_client.post(root + "rename/", {"name": "Mine"}).status_code == 404
    assert bob_client.post(root + "delete/").status_code == 404
    assert bob_client.get(root + "move/").status_code == 404
    assert bob_client.get(sharing_url(projects)).status_code == 404
    assert Folder.objects.filter(pk=projects.pk, name="Projects").exists()


def test_revoking_takes_effect_on_the_next_request(
    alice_client: Client, bob_client: Client, bob: User, projects: Folder
) -> None:
    share = grants.share(projects, bob)
    plan = UploadedFile.objects.get(name="plan.txt")
    assert bob_client.get(f"/files/{plan.pk}/download/").status_code == 200
    response = alice_client.post(f"/files/shares/{share.pk}/revoke/")
    assert response.status_code == 302
    assert bob_client.get(f"/files/{plan.pk}/download/").status_code == 404
    assert bob_client.get(f"/files/folders/{projects.pk}/").status_code == 404


def test_only_the_owner_revokes(bob_client: Client, bob: User, projects: Folder) -> None:
    share = grants.share(projects, bob)
    assert bob_client.post(f"/files/shares/{share.pk}/revoke/").status_code == 404
    assert Share.objects.filter(pk=share.pk).exists()


def test_a_new_link_is_shown_once_and_listed(alice_client: Client, projects: Folder) -> None:
    response = alice_client.post(
        sharing_url(projects) + "link/",
        {"label": "Client", "kind": "download", "password": "pw", "download_limit": "3"},
    )
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == "Link created: copy it now, it is shown only once."
    shown = alice_client.get(sharing_url(projects))
    url = shown.context["new_link_url"]
    assert url.startswith("http://testserver/s/")
    token = url.rsplit("/s/", 1)[1].strip("/")
    html = shown.content.decode()
    assert f'value="{url}"' in html
    # The QR code is an SVG drawn here, named for screen readers.
    assert "<svg" in html and "<title>QR code of the new link</title>" in html
    link = Link.objects.get()
    assert link.token_hash == grants.token_hash(token)
    assert (link.label, link.download_limit, link.folder) == ("Client", 3, projects)
    assert grants.password_matches(link, "pw")
    page = alice_client.get(sharing_url(projects)).content.decode()
    assert "Client" in page
    assert token not in page
    assert "<svg" not in page


def test_a_new_link_is_shown_on_its_own_items_page_only(
    alice_client: Client, alice: User, projects: Folder, make_folder: MakeFolder
) -> None:
    other = make_folder(alice, "Other")
    alice_client.post(sharing_url(projects) + "link/", {"kind": "download"})
    assert "new_link_url" not in alice_client.get(sharing_url(other)).context
    assert "new_link_url" in alice_client.get(sharing_url(projects)).context


def test_revoking_a_link_asks_first(alice_client: Client, projects: Folder) -> None:
    link, _ = grants.create_link(projects, label="For the printer")
    page = alice_client.get(f"/files/links/{link.pk}/revoke/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Revoke the link “For the printer”?" in html
    assert f'href="{sharing_url(projects)}">Cancel' in html
    link.refresh_from_db()
    assert link.revoked is None  # asking changes nothing


def test_removing_a_person_asks_first(alice_client: Client, bob: User, projects: Folder) -> None:
    share = grants.share(projects, bob, label="Bob B.")
    html = alice_client.get(f"/files/shares/{share.pk}/revoke/").content.decode()
    assert "Remove Bob B.’s access?" in html
    assert Share.objects.filter(pk=share.pk).exists()


def test_nobody_else_is_asked_about_a_link(bob_client: Client, projects: Folder) -> None:
    link, _ = grants.create_link(projects)
    assert bob_client.get(f"/files/links/{link.pk}/revoke/").status_code == 404


def test_a_link_in_the_past_is_refused(alice_client: Client, projects: Folder) -> None:
    response = alice_client.post(
        sharing_url(projects) + "link/", {"kind": "download", "expires": "2000-01-01T00:00"}
    )
    assert response.status_code == 200
    assert "Pick a time in the future." in response.content.decode()


def test_the_owner_revokes_a_link(alice_client: Client, client: Client, projects: Folder) -> None:
    link, token = grants.create_link(projects)
    assert alice_client.post(f"/files/links/{link.pk}/revoke/").status_code == 302
    assert client.get(f"/s/{token}/").status_code == 410


def test_nobody_else_revokes_a_link(bob_client: Client, projects: Folder) -> None:
    link, _ = grants.create_link(projects)
    assert bob_client.post(f"/files/links/{link.pk}/revoke/").status_code == 404
    link.refresh_from_db()
    assert link.revoked is None


def test_the_owner_sees_recent_downloads(
    alice_client: Client, bob_client: Client, bob: User, projects: Folder
) -> None:
    grants.share(projects, bob)
    plan = UploadedFile.objects.get(name="plan.txt")
    bob_client.get(f"/files/{plan.pk}/download/", REMOTE_ADDR="192.0.2.5")
    html = alice_client.get(f"/files/{plan.pk}/").content.decode()
    assert "bob" in html
    assert "192.0.2.5 (direct)" in html
    # The recipient does not see the trail.
    assert "Recent downloads" not in bob_client.get(f"/files/{plan.pk}/").content.decode()


def test_the_owner_sees_who_has_access_on_the_items_pages(
    alice_client: Client, alice: User, bob: User, projects: Folder
) -> None:
    grants.share(projects, bob, Share.Role.EDITOR)
    plan = UploadedFile.objects.get(name="plan.txt")
    grants.share(plan, User.objects.create_user("dave", "dave@example.org", "pw"))
    folder_page = alice_client.get(f"/files/folders/{projects.pk}/").content.decode()
    assert "Shared with bob (can edit)" in folder_page
    assert f'href="{sharing_url(projects)}"' in folder_page
    file_page = alice_client.get(f"/files/{plan.pk}/").content.decode()
    assert "Shared with dave (can view)" in file_page


def test_a_download_limit_on_a_drop_link_is_a_form_error(
    alice_client: Client, projects: Folder
) -> None:
    response = alice_client.post(
        sharing_url(projects) + "link/",
        {"kind": "drop", "download_limit": "3"},
    )
    assert response.status_code == 200
    assert "A file-drop link sends no files: leave the download limit empty." in (
        response.content.decode()
    )
    assert response.context["link_form"].has_error("download_limit", code="limit_on_drop")
    assert not Link.objects.exists()


def test_a_drop_link_cannot_be_given_a_download_limit(projects: Folder) -> None:
    with pytest.raises(ValidationError) as refused:
        grants.create_link(projects, kind=Link.Kind.DROP, download_limit=3)
    assert refused.value.code == "limit_on_drop"


def test_a_drop_link_row_counts_drops_not_downloads(
    alice_client: Client, client: Client, projects: Folder
) -> None:
    _, token = grants.create_link(projects, kind=Link.Kind.DROP)
    client.post(f"/s/{token}/drop/", {"file": SimpleUploadedFile("a.txt", b"a")})
    assert "1 dropped" in alice_client.get(sharing_url(projects)).content.decode()


def test_a_folders_sharing_page_leads_back_to_the_folder(
    alice_client: Client, projects: Folder
) -> None:
    html = alice_client.get(sharing_url(projects)).content.decode()
    assert f'<a href="/files/folders/{projects.pk}/">← Projects</a>' in html


def test_the_quota_note_is_on_a_folders_sharing_page_only(
    alice_client: Client, alice: User, projects: Folder, make_file: MakeFile
) -> None:
    note = "count against your quota, whoever adds them"
    assert note in alice_client.get(sharing_url(projects)).content.decode()
    upload = make_file(alice)
    assert note not in alice_client.get(f"/files/{upload.pk}/sharing/").content.decode()


def test_names_that_find_nobody_are_limited_and_the_refusal_tells_nothing(
    alice_client: Client, bob: User, projects: Folder
) -> None:
    url = sharing_url(projects) + "share/"
    for _ in range(SHARE_MISSES.allowed):
        page = alice_client.post(url, {"recipient": "nobody", "role": "viewer"})
        assert page.context["share_form"].has_error("recipient", code="no_such_user")
    refusals = [
        alice_client.post(url, {"recipient": typed, "role": "viewer"})
        for typed in ("nobody", "bob@example.org")
    ]
    for page in refusals:
        form = page.context["share_form"]
        assert form.errors["recipient"] == [
            "Too many names that match no one: try again in an hour."
        ]
    assert not Share.objects.exists()


def test_names_that_find_someone_do_not_count(
    alice_client: Client, bob: User, projects: Folder
) -> None:
    url = sharing_url(projects) + "share/"
    for _ in range(SHARE_MISSES.allowed + 5):
        assert alice_client.post(url, {"recipient": "bob", "role": "viewer"}).status_code == 302
