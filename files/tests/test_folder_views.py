"""The folder pages: browse, create, rename, move, delete; and moving files between folders."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from accounts.models import User
from files.folders import tree
from files.models import Folder, Share, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile
from files.tests.utils import stored_paths


@pytest.fixture
def photos(alice: User) -> Folder:
    return tree.create_folder(alice, None, "Photos")


@pytest.fixture
def summer(alice: User, photos: Folder) -> Folder:
    return tree.create_folder(alice, photos, "Summer")


def page_text(response: HttpResponse) -> str:
    assert response.status_code == 200
    return response.content.decode()


# Browsing


def test_the_top_level_lists_top_folders_and_loose_files(
    alice: User, alice_client: Client, photos: Folder, summer: Folder, make_file: MakeFile
) -> None:
    loose = make_file(alice, "loose.txt")
    inside = make_file(alice, "inside.txt")
    tree.move_files(alice, [inside.pk], photos)
    response = alice_client.get("/files/")
    assert list(response.context["subfolders"]) == [photos]
    assert list(response.context["files"]) == [loose]
    assert f'href="/files/folders/{photos.pk}/"' in page_text(response)


def test_a_folder_page_shows_its_breadcrumb_subfolders_and_files(
    alice: User, alice_client: Client, photos: Folder, summer: Folder, make_file: MakeFile
) -> None:
    beach = make_file(alice, "beach.jpg")
    tree.move_files(alice, [beach.pk], summer)
    response = alice_client.get(f"/files/folders/{summer.pk}/")
    html = page_text(response)
    assert response.context["breadcrumb"] == [photos]
    assert list(response.context["files"]) == [beach]
    assert '<span aria-current="page">Summer</span>' in html
    assert f'<a href="/files/folders/{photos.pk}/">Photos</a>' in html
    # The upload form and the drop zone post into the folder being shown.
    assert f'action="/files/folders/{summer.pk}/upload/"' in html
    assert f'data-upload-url="/files/folders/{summer.pk}/upload/"' in html


def test_an_empty_folder_says_what_to_do(alice_client: Client, photos: Folder) -> None:
    html = page_text(alice_client.get(f"/files/folders/{photos.pk}/"))
    assert "This folder is empty." in html
    assert "Drop files or a whole folder here" in html


def test_search_in_a_folder_covers_its_subtree_only(
    alice: User, alice_client: Client, photos: Folder, summer: Folder, make_file: MakeFile
) -> None:
    deep = make_file(alice, "report deep.txt")
    tree.move_files(alice, [deep.pk], summer)
    make_file(alice, "report outside.txt")
    response = alice_client.get(f"/files/folders/{photos.pk}/", {"q": "report"})
    assert [f.name for f in response.context["files"]] == ["report deep.txt"]
    # Each result says where it lives.
    assert f'in <a href="/files/folders/{summer.pk}/">Summer</a>' in page_text(response)
    everywhere = alice_client.get("/files/", {"q": "report", "sort": "name"})
    assert [f.name for f in everywhere.context["files"]] == [
        "report deep.txt",
        "report outside.txt",
    ]


def test_search_finds_folders_by_name(alice_client: Client, photos: Folder, summer: Folder) -> None:
    response = alice_client.get("/files/", {"q": "summ"})
    assert list(response.context["subfolders"]) == [summer]


def test_a_folder_page_runs_the_same_queries_for_two_files_or_forty(
    alice: User, alice_client: Client, photos: Folder, summer: Folder, make_file: MakeFile
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(f"/files/folders/{summer.pk}/").status_code == 200
            assert alice_client.get(f"/files/folders/{photos.pk}/", {"q": "f"}).status_code == 200
        return len(queries)

    tree.move_files(alice, [make_file(alice, f"f{i}").pk for i in range(2)], summer)
    few = count()
    tree.move_files(alice, [make_file(alice, f"f{i}").pk for i in range(2, 40)], summer)
    tree.create_folder(alice, summer, "another")
    assert count() == few


def test_the_view_switch_shows_a_grid(
    alice: User, alice_client: Client, photos: Folder, make_file: MakeFile
) -> None:
    make_file(alice, "a.txt")
    html = page_text(alice_client.get("/files/", {"view": "grid"}))
    assert '<ul class="grid">' in html
    assert 'href="?q=&amp;sort=-created&amp;view=grid" aria-current="true"' in html
    assert '<table class="files">' in page_text(alice_client.get("/files/", {"view": "bogus"}))


def test_a_stranger_gets_404_for_every_folder_page(charlie_client: Client, photos: Folder) -> None:
    assert charlie_client.get(f"/files/folders/{photos.pk}/").status_code == 404
    for suffix in ["new/", "upload/", "rename/", "move/", "delete/"]:
        assert charlie_client.get(f"/files/folders/{photos.pk}/{suffix}").status_code == 404
        assert charlie_client.post(f"/files/folders/{photos.pk}/{suffix}").status_code == 404
    assert Folder.objects.filter(pk=photos.pk).exists()


def test_anonymous_visitors_are_sent_to_log_in(client: Client, photos: Folder) -> None:
    response = client.get(f"/files/folders/{photos.pk}/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")


def test_an_unknown_folder_is_404(alice_client: Client) -> None:
    assert alice_client.get(f"/files/folders/{uuid.uuid4()}/").status_code == 404
    assert alice_client.get("/files/folders/not-a-uuid/").status_code == 404


# Creating, renaming, moving


def test_it_creates_a_folder_inside_another(
    alice: User, alice_client: Client, photos: Folder
) -> None:
    response = alice_client.post(
        f"/files/folders/{photos.pk}/new/", {"name": "Winter"}, follow=True
    )
    assert response.redirect_chain == [(f"/files/folders/{photos.pk}/", 302)]
    assert "Created folder Winter." in page_text(response)
    winter = Folder.objects.get(name="Winter")
    assert (winter.owner, winter.parent) == (alice, photos)


def test_it_creates_a_top_level_folder(alice: User, alice_client: Client) -> None:
    response = alice_client.post("/files/folders/new/", {"name": "Docs"})
    assert response.status_code == 302
    assert Folder.objects.get().parent is None


def test_a_taken_name_is_a_form_error(alice_client: Client, photos: Folder) -> None:
    response = alice_client.post("/files/folders/new/", {"name": "PHOTOS"})
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["name"]] == ["name_taken"]
    assert "A folder named “PHOTOS” already exists in the top level." in page_text(response)
    assert Folder.objects.count() == 1


def test_it_renames_a_folder(alice_client: Client, photos: Folder) -> None:
    assert alice_client.get(f"/files/folders/{photos.pk}/rename/").context["form"].initial == {
        "name": "Photos"
    }
    response = alice_client.post(
        f"/files/folders/{photos.pk}/rename/", {"name": "Pictures"}, follow=True
    )
    assert "Renamed Photos to Pictures." in page_text(response)
    photos.refresh_from_db()
    assert photos.name == "Pictures"


def test_renaming_to_a_taken_name_is_a_form_error(
    alice: User, alice_client: Client, photos: Folder
) -> None:
    tree.create_folder(alice, None, "Music")
    response = alice_client.post(f"/files/folders/{photos.pk}/rename/", {"name": "music"})
    assert response.status_code == 200
    assert "already exists" in page_text(response)
    photos.refresh_from_db()
    assert photos.name == "Photos"


def test_it_moves_a_folder(
    alice: User, alice_client: Client, photos: Folder, summer: Folder
) -> None:
    archive = tree.create_folder(alice, None, "Archive")
    response = alice_client.post(
        f"/files/folders/{summer.pk}/move/", {"target": str(archive.pk)}, follow=True
    )
    assert "Moved Summer to “Archive”." in page_text(response)
    summer.refresh_from_db()
    assert summer.parent == archive


def test_the_move_form_offers_no_folder_inside_the_one_moved(
    alice_client: Client, photos: Folder, summer: Folder
) -> None:
    form = alice_client.get(f"/files/folders/{photos.pk}/move/").context["form"]
    assert [label for _, label in form.fields["target"].choices] == ["Top level"]


def test_a_forged_move_into_a_descendant_is_refused(
    alice_client: Client, photos: Folder, summer: Folder
) -> None:
    response = alice_client.post(f"/files/folders/{photos.pk}/move/", {"target": str(summer.pk)})
    assert response.status_code == 200
    assert response.context["form"].errors["target"]
    photos.refresh_from_db()
    assert photos.parent is None


def test_it_moves_a_selection_of_files(
    alice: User, alice_client: Client, photos: Folder, make_file: MakeFile
) -> None:
    one, two, stay = (make_file(alice, n) for n in ("one", "two", "stay"))
    response = alice_client.post(
        "/files/move/", {"selected": [one.pk, two.pk], "target": str(photos.pk)}, follow=True
    )
    assert response.redirect_chain == [(f"/files/folders/{photos.pk}/", 302)]
    assert "Moved 2 files to “Photos”." in page_text(response)
    assert set(photos.files.all()) == {one, two}
    stay.refresh_from_db()
    assert stay.folder is None


def test_moving_a_strangers_file_is_refused(
    alice: User, bob: User, alice_client: Client, photos: Folder, make_file: MakeFile
) -> None:
    theirs = make_file(bob, "theirs.txt")
    response = alice_client.post(
        "/files/move/",
        {"selected": [theirs.pk], "target": str(photos.pk), "next": "/files/?sort=name"},
        follow=True,
    )
    assert response.redirect_chain == [("/files/?sort=name", 302)]
    assert "is not one of the available choices" in page_text(response)
    theirs.refresh_from_db()
    assert theirs.folder is None


def test_moving_into_a_strangers_folder_is_refused(
    bob: User, alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    theirs = tree.create_folder(bob, None, "theirs")
    mine = make_file(alice, "mine.txt")
    alice_client.post("/files/move/", {"selected": [mine.pk], "target": str(theirs.pk)})
    mine.refresh_from_db()
    assert mine.folder is None


def test_moving_files_refuses_a_get_and_an_outside_next(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    assert alice_client.get("/files/move/").status_code == 405
    response = alice_client.post("/files/move/", {"next": "https://evil.example/"})
    assert response.url == "/files/"


# Deleting


def test_deleting_asks_first_with_what_would_go(
    alice: User, alice_client: Client, photos: Folder, summer: Folder, make_file: MakeFile
) -> None:
    tree.move_files(alice, [make_file(alice, "a", b"x" * 2048).pk], photos)
    tree.move_files(alice, [make_file(alice, "b", b"x" * 2048).pk], summer)
    html = page_text(alice_client.get(f"/files/folders/{photos.pk}/delete/"))
    assert "<strong>2 files</strong>\n  (4.0\xa0KB) in 1 subfolder." in html


def test_deleting_sends_everything_below_to_the_trash_then_forever_after_commit(
    alice: User,
    alice_client: Client,
    photos: Folder,
    summer: Folder,
    make_file: MakeFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    tree.move_files(alice, [make_file(alice, "a").pk], summer)
    kept = make_file(alice, "kept.txt")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/files/folders/{photos.pk}/delete/", follow=True)
    assert response.redirect_chain == [("/files/", 302)]
    assert "Moved folder Photos to the trash." in page_text(response)
    assert not Folder.objects.filter(trashed_at=None).exists()
    assert list(UploadedFile.objects.filter(trashed_at=None)) == [kept]
    assert len(stored_paths()) == 2
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        alice_client.post(f"/files/folders/{photos.pk}/purge/")
    assert not Folder.objects.exists()
    assert list(UploadedFile.objects.all()) == [kept]
    assert len(callbacks) == 1
    assert len(stored_paths()) == 1


def test_deleting_a_subfolder_goes_back_to_its_parent(
    alice_client: Client, photos: Folder, summer: Folder
) -> None:
    response = alice_client.post(f"/files/folders/{summer.pk}/delete/")
    assert response.url == f"/files/folders/{photos.pk}/"


def test_staff_may_browse_but_not_change_a_folder(
    staff: User, photos: Folder, settings: Settings
) -> None:
    client = Client()
    client.force_login(staff)
    response = client.get(f"/files/folders/{photos.pk}/")
    assert response.status_code == 200
    assert not response.context["writable"]
    assert client.post(f"/files/folders/{photos.pk}/delete/").status_code == 404


# An editor moves things between the folders of the share, and nowhere else


@pytest.fixture
def share_tree(alice: User, bob: User, charlie: User) -> dict[str, Folder]:
    """alice's Shared/ (A/, B/) edited by bob and viewed by charlie; her Private/ and Other/,
    the latter also edited by bob, as a second share the first must not leak into."""
    shared = tree.create_folder(alice, None, "Shared")
    folders = {
        "shared": shared,
        "a": tree.create_folder(alice, shared, "A"),
        "b": tree.create_folder(alice, shared, "B"),
        "private": tree.create_folder(alice, None, "Private"),
        "other": tree.create_folder(alice, None, "Other"),
    }
    grants.share(shared, bob, Share.Role.EDITOR)
    grants.share(folders["other"], bob, Share.Role.EDITOR)
    grants.share(shared, charlie)
    return folders


def test_an_editor_moves_a_file_between_folders_of_the_share(
    alice: User, bob_client: Client, share_tree: dict[str, Folder], make_file: MakeFile
) -> None:
    inside = make_file(alice, "inside.txt", folder=share_tree["a"])
    response = bob_client.post(
        "/files/move/", {"selected": [inside.pk], "target": str(share_tree["b"].pk)}, follow=True
    )
    assert "Moved inside.txt to “B”." in page_text(response)
    inside.refresh_from_db()
    assert inside.folder == share_tree["b"]
    assert inside.owner == alice  # still hers, and still counted in her quota


def test_an_editor_moves_a_subfolder_inside_the_share(
    bob_client: Client, share_tree: dict[str, Folder]
) -> None:
    a, b = share_tree["a"], share_tree["b"]
    response = bob_client.post(f"/files/folders/{b.pk}/move/", {"target": str(a.pk)}, follow=True)
    assert "Moved B to “A”." in page_text(response)
    b.refresh_from_db()
    assert b.parent == a
    # And back up to the shared folder itself.
    bob_client.post(f"/files/folders/{b.pk}/move/", {"target": str(share_tree["shared"].pk)})
    b.refresh_from_db()
    assert b.parent == share_tree["shared"]


def test_an_editor_is_offered_only_the_folders_of_the_share(
    bob_client: Client, share_tree: dict[str, Folder], make_file: MakeFile, alice: User
) -> None:
    form = bob_client.get(f"/files/folders/{share_tree['b'].pk}/move/").context["form"]
    labels = [label for _, label in form.fields["target"].choices]
    assert labels == ["Shared", "Shared / A"]  # no top level, no Private, no Other
    make_file(alice, "inside.txt", folder=share_tree["a"])
    text = page_text(bob_client.get(f"/files/folders/{share_tree['a'].pk}/"))
    assert 'id="move-form"' in text
    assert f"/files/folders/{share_tree['a'].pk}/move/" in text
    assert "Private" not in text and "Top level" not in text


@pytest.mark.parametrize("where", ["top level", "private", "other", "strangers"])
def test_an_editor_cannot_move_a_file_out_of_the_share(
    alice: User,
    charlie: User,
    bob_client: Client,
    share_tree: dict[str, Folder],
    make_file: MakeFile,
    where: str,
) -> None:
    targets = {
        "top level": "",
        "private": str(share_tree["private"].pk),
        "other": str(share_tree["other"].pk),
        "strangers": str(tree.create_folder(charlie, None, "Theirs").pk),
    }
    inside = make_file(alice, "inside.txt", folder=share_tree["a"])
    response = bob_client.post(
        "/files/move/",
        {"selected": [inside.pk], "target": targets[where], "next": "/files/shared/"},
        follow=True,
    )
    assert response.redirect_chain == [("/files/shared/", 302)]
    text = page_text(response)
    assert "Moved" not in text
    assert "only to a folder inside the folder shared with you" in text or (
        "is not one of the available choices" in text
    )
    inside.refresh_from_db()
    assert inside.folder == share_tree["a"]


@pytest.mark.parametrize("where", ["top level", "private", "other"])
def test_an_editor_cannot_move_a_folder_out_of_the_share(
    bob_client: Client, share_tree: dict[str, Folder], where: str
) -> None:
    target = "" if where == "top level" else str(share_tree[where].pk)
    a = share_tree["a"]
    response = bob_client.post(f"/files/folders/{a.pk}/move/", {"target": target})
    assert response.status_code == 200
    assert response.context["form"].errors["target"]
    a.refresh_from_db()
    assert a.parent == share_tree["shared"]


def test_an_editor_cannot_move_the_shared_folder_itself(
    bob_client: Client, share_tree: dict[str, Folder]
) -> None:
    shared = share_tree["shared"]
    assert bob_client.get(f"/files/folders/{shared.pk}/move/").status_code == 404
    response = bob_client.post(
        f"/files/folders/{shared.pk}/move/", {"target": str(share_tree["other"].pk)}
    )
    assert response.status_code == 404
    shared.refresh_from_db()
    assert shared.parent is None


def test_a_viewer_cannot_move_anything_in_the_share(
    alice: User, charlie_client: Client, share_tree: dict[str, Folder], make_file: MakeFile
) -> None:
    a, b = share_tree["a"], share_tree["b"]
    assert charlie_client.get(f"/files/folders/{a.pk}/move/").status_code == 404
    assert (
        charlie_client.post(f"/files/folders/{a.pk}/move/", {"target": str(b.pk)}).status_code
        == 404
    )
    inside = make_file(alice, "inside.txt", folder=a)
    charlie_client.post("/files/move/", {"selected": [inside.pk], "target": str(b.pk)})
    inside.refresh_from_db()
    assert inside.folder == a
    a.refresh_from_db()
    assert a.parent == share_tree["shared"]
    text = page_text(charlie_client.get(f"/files/folders/{a.pk}/"))
    assert 'id="move-form"' not in text and "/move/" not in text
