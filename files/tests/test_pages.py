"""Every HTML page: the strict Content-Security-Policy, and help text a screen reader can find.

Django points a field at its help with aria-describedby="<id>_helptext"; a page
that names an id it does not contain leaves screen readers reading nothing.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from files.contract import DOWNLOAD_CSP
from files.history import trash
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder
from files.uploads import intake
from portal.middleware import PAGE_CSP

DESCRIBED_BY = re.compile(r'aria-describedby="([^"]+)"')
IDS = re.compile(r'\sid="([^"]+)"')


def pages_of_alice(
    alice: User, bob: User, make_file: MakeFile, make_folder: MakeFolder
) -> list[str]:
    folder = make_folder(alice, "Projects")
    stored = make_file(alice, "notes.txt", folder=folder)
    grants.share(folder, bob)
    grants.create_link(folder)
    trash.trash_file(make_file(alice, "old.txt"), by=alice)  # the trash has an entry
    intake.replace_file(stored, SimpleUploadedFile("notes.txt", b"new"))  # and a version
    return [
        "/files/",
        f"/files/folders/{folder.pk}/",
        "/files/upload/",
        f"/files/folders/{folder.pk}/upload/",
        "/files/shared/",
        "/files/folders/new/",
        f"/files/folders/{folder.pk}/rename/",
        f"/files/folders/{folder.pk}/move/",
        f"/files/folders/{folder.pk}/delete/",
        f"/files/{stored.pk}/",
        f"/files/{stored.pk}/delete/",
        f"/files/{stored.pk}/sharing/",
        f"/files/folders/{folder.pk}/sharing/",
        "/accounts/profile/",
        "/accounts/password/",
        "/accounts/tokens/",
        "/files/trash/",
    ]


def assert_page_is_sound(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Content-Security-Policy"] == PAGE_CSP, path
    html = response.content.decode()
    present = set(IDS.findall(html))
    for described_by in DESCRIBED_BY.findall(html):
        for target in described_by.split():
            assert target in present, (
                f"{path}: aria-describedby names {target!r}, which is not on the page"
            )


@pytest.mark.django_db
def test_every_signed_in_page_is_sound(
    alice: User, bob: User, alice_client: Client, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    for path in pages_of_alice(alice, bob, make_file, make_folder):
        assert_page_is_sound(alice_client, path)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/"])
def test_every_anonymous_page_is_sound(client: Client, path: str) -> None:
    assert_page_is_sound(client, path)


@pytest.mark.django_db
def test_link_pages_are_sound(client: Client, alice: User, make_folder: MakeFolder) -> None:
    _, address = grants.create_link(make_folder(alice, "Open"))

    assert_page_is_sound(client, f"/s/{address}/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/files/uploadedfile/", "/admin/accounts/user/add/"]
)
def test_admin_pages_carry_the_policy(path: str) -> None:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.org", "password"))

    assert_page_is_sound(client, path)


@pytest.mark.django_db
def test_a_page_not_found_carries_the_policy(alice_client: Client) -> None:
    response = alice_client.get("/files/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Security-Policy"] == PAGE_CSP


@pytest.mark.django_db
def test_a_download_keeps_its_own_sandbox_policy(
    alice_client: Client, alice: User, make_file: MakeFile
) -> None:
    stored = make_file(alice, "page.html", b"<!doctype html><p>hi</p>")

    response = alice_client.get(f"/files/{stored.pk}/download/")

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == DOWNLOAD_CSP
