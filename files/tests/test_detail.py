"""/files/<uuid>/: the owner sees a file and renames it; nobody else learns it exists."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from accounts.models import User
from files.models import UploadedFile
from files.tests.conftest import MakeFile
from files.tests.utils import image_bytes, stored_path


@pytest.fixture
def upload(alice: User, make_file: MakeFile) -> UploadedFile:
    return make_file(alice, "notes.txt", b"hello world")


def url(upload: UploadedFile) -> str:
    return f"/files/{upload.pk}/"


def test_it_shows_the_file(alice_client: Client, upload: UploadedFile) -> None:
    response = alice_client.get(url(upload))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="filename">notes.txt</h1>' in html
    assert upload.sha256 in html
    assert f'href="/files/{upload.pk}/download/"' in html
    assert f'href="/files/{upload.pk}/delete/"' in html
    assert "/preview/" not in html  # text is never shown inline


def test_it_previews_a_real_image(alice: User, alice_client: Client, make_file: MakeFile) -> None:
    picture = make_file(alice, "pic.png", image_bytes("PNG"))
    html = alice_client.get(url(picture)).content.decode()
    assert f'<img src="/files/{picture.pk}/preview/"' in html


def test_it_escapes_the_name(alice: User, alice_client: Client, make_file: MakeFile) -> None:
    evil = make_file(alice, "<img src=x onerror=alert(1)>.txt")
    html = alice_client.get(url(evil)).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in html


def test_it_refuses_a_nul_in_a_new_name(alice_client: Client, upload: UploadedFile) -> None:
    # Django's form field refuses NUL before the database (PostgreSQL cannot store it) sees it.
    response = alice_client.post(url(upload), {"name": "a\x00b.txt"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["Null characters are not allowed."]
    upload.refresh_from_db()
    assert upload.name == "notes.txt"


def test_it_renames(alice_client: Client, upload: UploadedFile) -> None:
    response = alice_client.post(url(upload), {"name": "report.txt"}, follow=True)
    assert response.redirect_chain == [(url(upload), 302)]
    assert "Renamed to report.txt." in response.content.decode()
    key = upload.file.name
    upload.refresh_from_db()
    assert upload.name == "report.txt"
    # Only the database changes: the key never depended on the name.
    assert upload.file.name == key
    assert stored_path(key).read_bytes() == b"hello world"


def test_it_cleans_the_new_name(alice_client: Client, upload: UploadedFile) -> None:
    alice_client.post(url(upload), {"name": " ../../etc/pass\u202ewd\u200b\r\n "})
    upload.refresh_from_db()
    assert upload.name == "passwd"


@pytest.mark.parametrize(
    ("name", "code"),
    [("", "required"), ("  ", "required"), ("..", "bad_name"), ("dir/", "bad_name")]
    + [("\u202e\u200b", "bad_name")],
)
def test_it_rejects_a_name_that_cleans_to_empty(
    alice_client: Client, upload: UploadedFile, name: str, code: str
) -> None:
    response = alice_client.post(url(upload), {"name": name})
    assert response.status_code == 200
    codes = [error.code for error in response.context["form"].errors.as_data()["name"]]
    assert codes == [code]
    upload.refresh_from_db()
    assert upload.name == "notes.txt"


def test_it_checks_owner(bob_client: Client, upload: UploadedFile) -> None:
    assert bob_client.get(url(upload)).status_code == 404


def test_it_does_not_let_another_user_rename(bob_client: Client, upload: UploadedFile) -> None:
    assert bob_client.post(url(upload), {"name": "pwned.txt"}).status_code == 404
    upload.refresh_from_db()
    assert upload.name == "notes.txt"


def test_staff_see_it_but_cannot_rename(staff: User, upload: UploadedFile) -> None:
    # Staff read everything (they could download it already); changes go through the admin.
    client = Client()
    client.force_login(staff)
    response = client.get(url(upload))
    assert response.status_code == 200
    assert "Rename" not in response.content.decode()
    assert client.post(url(upload), {"name": "staff.txt"}).status_code == 404


def test_it_sends_anonymous_users_to_login(client: Client, upload: UploadedFile) -> None:
    response = client.get(url(upload))
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=/files/{upload.pk}/"


def test_it_handles_bad_uuid(alice_client: Client) -> None:
    assert alice_client.get("/files/not-a-uuid/").status_code == 404


def test_it_handles_unknown_uuid(alice_client: Client) -> None:
    assert alice_client.get(f"/files/{uuid.uuid4()}/").status_code == 404
