"""Threat: sharing pages and drop boxes tell people more about others than they should.

A test per leak (issue 17, items 1 to 3): every page and message an anonymous
visitor or a recipient gets is searched for the email, the username, the
storage use and quota of the people behind it, and for the names of the
folder and of the entries a drop box sends files into.
"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.response import HttpResponseBase
from django.template.defaultfilters import filesizeformat
from django.test import Client

from accounts.models import User
from files.models import Folder, Link, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder


def said(response: HttpResponseBase, client: Client | None = None) -> str:
    """Everything a response tells its reader: headers, body, and the messages queued with it."""
    parts = [f"{name}: {value}" for name, value in response.items()]
    parts.append(getattr(response, "content", b"").decode(errors="replace"))
    if client is not None and hasattr(response, "wsgi_request"):
        parts.extend(str(message) for message in get_messages(response.wsgi_request))
    return "\n".join(parts)


def assert_tells_nothing_of(text: str, *secrets: str) -> None:
    leaked = [secret for secret in secrets if secret.lower() in text.lower()]
    assert not leaked, f"leaked {leaked}"


# --- 1. Sharing with a person shows the name typed, never the account's email ---


@pytest.fixture
def robin(db: None) -> User:
    """A recipient whose username and email share no text, so either one can be looked for."""
    return User.objects.create_user("robin_r", "r.hood@sherwood.example", "password")


def test_sharing_by_username_never_shows_the_email(
    alice_client: Client, alice: User, robin: User, make_file: MakeFile
) -> None:
    upload = make_file(alice, "plan.txt")
    response = alice_client.post(
        f"/files/{upload.pk}/sharing/share/",
        {"recipient": "robin_r", "role": "viewer"},
        follow=True,
    )
    assert response.status_code == 200
    for page in (response, alice_client.get(f"/files/{upload.pk}/")):
        assert "robin_r" in said(page, alice_client)
        assert_tells_nothing_of(said(page, alice_client), robin.email)


def test_sharing_by_email_never_shows_the_username(
    alice_client: Client, alice: User, robin: User, make_folder: MakeFolder
) -> None:
    folder = make_folder(alice, "Plans")
    response = alice_client.post(
        f"/files/folders/{folder.pk}/sharing/share/",
        {"recipient": "R.Hood@sherwood.example", "role": "viewer"},
        follow=True,
    )
    assert response.status_code == 200
    for page in (response, alice_client.get(f"/files/folders/{folder.pk}/")):
        assert "R.Hood@sherwood.example" in said(page, alice_client)
        assert_tells_nothing_of(said(page, alice_client), "robin_r")


def test_a_miss_reads_the_same_for_a_name_an_email_and_an_inactive_account(
    alice_client: Client, alice: User, make_file: MakeFile
) -> None:
    upload = make_file(alice, "plan.txt")
    User.objects.create_user("gone", "gone@example.org", "pw", is_active=False)
    User.objects.create_user("twin1", "twin@example.org", "pw")
    User.objects.create_user("twin2", "twin@example.org", "pw")
    errors = set()
    for typed in ("nobody", "nobody@example.org", "gone@example.org", "twin@example.org"):
        page = alice_client.post(
            f"/files/{upload.pk}/sharing/share/", {"recipient": typed, "role": "viewer"}
        )
        assert page.status_code == 200
        body = page.content.decode()
        assert_tells_nothing_of(body, "twin1", "twin2")
        errors.add(body.split('<span class="error">')[1].split("</span>")[0])
    assert len(errors) == 1, errors


def test_a_recipient_learns_nothing_of_the_owners_email_space_or_other_recipients(
    alice: User,
    bob: User,
    bob_client: Client,
    charlie: User,
    make_folder: MakeFolder,
    make_file: MakeFile,
) -> None:
    alice.quota = 123_456_789
    alice.save()
    folder = make_folder(alice, "Plans")
    upload = make_file(alice, "plan.txt", b"x" * 4321, folder=folder)
    make_file(alice, "unshared.bin", b"u" * 98_765)
    grants.share(folder, bob, "editor", label="bob")
    grants.share(folder, charlie, label="charlie@example.org")
    grants.share(upload, charlie, label="charlie")
    secrets = (
        alice.email,
        "charlie",
        filesizeformat(123_456_789),
        filesizeformat(alice.storage_used()),
    )
    for url in (
        "/files/shared/",
        f"/files/folders/{folder.pk}/",
        f"/files/{upload.pk}/",
        f"/files/folders/{folder.pk}/upload/",
    ):
        response = bob_client.get(url)
        assert response.status_code == 200, url
        assert_tells_nothing_of(said(response, bob_client), *secrets)
    # An editor filling her folder past its quota is told it is full, not by how much.
    alice.quota = 110_000
    alice.save()
    free = filesizeformat(110_000 - alice.storage_used())
    for headers in ({"HTTP_ACCEPT": "application/json"}, {}):
        refused = bob_client.post(
            f"/files/folders/{folder.pk}/upload/",
            {"file": SimpleUploadedFile("big.bin", b"b" * 20_000)},
            **headers,
        )
        assert refused.status_code in (200, 400)
        assert "There is no room left in this shared folder." in said(refused)
        assert_tells_nothing_of(said(refused), *secrets, filesizeformat(110_000), free)


# --- 2 and 3. A drop box says nothing of its owner nor of the folder behind it ---


@pytest.fixture
def inbox(alice: User, make_folder: MakeFolder, make_file: MakeFile) -> Folder:
    """alice's drop folder, holding a file, a folder, and a file named like a directory."""
    alice.quota = 50_000
    alice.save()
    inbox = make_folder(alice, "Secret-Inbox-Name")
    make_file(alice, "other-entry.txt", b"x" * 1000, folder=inbox)
    make_file(alice, "clash-file", b"y", folder=inbox)
    make_folder(alice, "Clash-Folder", parent=inbox)
    return inbox


@pytest.fixture
def drop_token(inbox: Folder) -> str:
    _, token = grants.create_link(inbox, kind=Link.Kind.DROP)
    return token


def owner_and_folder_secrets(alice: User) -> tuple[str, ...]:
    used, quota = alice.storage_used(), alice.effective_quota() or 0
    return (
        "alice",
        alice.email,
        "Secret-Inbox-Name",
        "other-entry.txt",
        "Clash-Folder",
        "clash-file",
        " (1)",
        filesizeformat(used),
        filesizeformat(quota),
        filesizeformat(quota - used),
    )


def test_the_drop_page_says_nothing_of_the_owner_nor_the_folder(
    client: Client, drop_token: str, alice: User
) -> None:
    response = client.get(f"/s/{drop_token}/")
    assert response.status_code == 200
    assert_tells_nothing_of(said(response, client), *owner_and_folder_secrets(alice))


@pytest.mark.parametrize("as_json", [True, False])
def test_a_full_drop_box_says_only_that_it_is_full(
    client: Client, drop_token: str, alice: User, as_json: bool
) -> None:
    secrets = owner_and_folder_secrets(alice)
    headers = {"HTTP_ACCEPT": "application/json"} if as_json else {}
    response = client.post(
        f"/s/{drop_token}/drop/",
        {"file": SimpleUploadedFile("big.bin", b"z" * 60_000)},
        **headers,
    )
    assert response.status_code == 400 if as_json else 200
    text = said(response, client)
    assert "This drop box cannot take more files right now." in text
    assert_tells_nothing_of(text, *secrets, "free", "space")


@pytest.mark.parametrize("as_json", [True, False])
@pytest.mark.parametrize(
    ("name", "directory"),
    [
        ("other-entry.txt", ""),  # a file of that name is there
        ("clash-folder", ""),  # a folder of that name is there
        ("a.txt", "clash-file"),  # a file holds the dropped directory's name
        ("b.txt", "Clash-Folder/deeper"),  # into a folder that exists, and one that does not
    ],
)
def test_a_clash_in_a_drop_is_resolved_without_a_word(
    client: Client,
    drop_token: str,
    alice: User,
    inbox: Folder,
    name: str,
    directory: str,
    as_json: bool,
) -> None:
    secrets = owner_and_folder_secrets(alice)
    headers = {"HTTP_ACCEPT": "application/json"} if as_json else {}
    response = client.post(
        f"/s/{drop_token}/drop/",
        {"file": SimpleUploadedFile(name, b"dropped"), "directory": directory},
        **headers,
    )
    assert response.status_code == (201 if as_json else 302)
    text = said(response, client)
    if response.status_code == 302:
        text += said(client.get(response["Location"]), client)
    # The visitor's own name may come back; nothing else of the folder does.
    assert_tells_nothing_of(text, *(s for s in secrets if s.lower() != name.lower()))
    assert UploadedFile.objects.filter(owner=alice).count() == 3


def test_every_file_of_a_dropped_directory_lands_in_one_numbered_folder(
    client: Client, drop_token: str, inbox: Folder
) -> None:
    for name in ("a.txt", "b.txt"):
        response = client.post(
            f"/s/{drop_token}/drop/",
            {"file": SimpleUploadedFile(name, b"d"), "directory": "clash-file"},
            HTTP_ACCEPT="application/json",
        )
        assert response.status_code == 201
    numbered = Folder.objects.get(parent=inbox, name="clash-file (1)")
    assert sorted(numbered.files.values_list("name", flat=True)) == ["a.txt", "b.txt"]


def test_a_closed_or_locked_drop_link_says_nothing_of_the_owner_nor_the_folder(
    client: Client, inbox: Folder, alice: User
) -> None:
    secrets = owner_and_folder_secrets(alice)
    locked, locked_token = grants.create_link(inbox, kind=Link.Kind.DROP, password="pw")
    revoked, revoked_token = grants.create_link(inbox, kind=Link.Kind.DROP)
    grants.revoke(Link.objects.filter(pk=revoked.pk))
    for response in (
        client.get(f"/s/{locked_token}/"),
        client.post(f"/s/{locked_token}/unlock/", {"password": "wrong"}),
        client.post(f"/s/{locked_token}/drop/", {"file": SimpleUploadedFile("a.txt", b"a")}),
        client.get(f"/s/{revoked_token}/"),
    ):
        assert response.status_code in (200, 403, 410)
        assert_tells_nothing_of(said(response, client), *secrets)
