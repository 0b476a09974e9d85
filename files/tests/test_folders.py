"""files.folders: unique names per parent, no cycles, whole subtrees moved and deleted."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import User
from files.folders import tree
from files.models import Folder, Share, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile
from files.tests.utils import stored_path, stored_paths


def code(error: pytest.ExceptionInfo[ValidationError]) -> str | None:
    return error.value.code


def test_it_creates_nested_folders_with_their_ancestry(alice: User) -> None:
    top = tree.create_folder(alice, None, "Photos")
    middle = tree.create_folder(alice, top, "2026")
    bottom = tree.create_folder(alice, middle, "Summer")
    assert top.path == f"/{top.pk}/"
    assert bottom.path == f"/{top.pk}/{middle.pk}/{bottom.pk}/"
    assert tree.ancestors(bottom, alice) == [top, middle]
    assert tree.ancestors(top, alice) == []


def test_it_cleans_folder_names(alice: User) -> None:
    assert tree.create_folder(alice, None, "  a/b\u202e ").name == "b"
    with pytest.raises(ValidationError) as error:
        tree.create_folder(alice, None, "  ")
    assert code(error) == "bad_name"


@pytest.mark.parametrize("other", ["Photos", "photos", "PHOTOS"])
def test_names_are_unique_per_parent_ignoring_case(alice: User, other: str) -> None:
    top = tree.create_folder(alice, None, "Photos")
    with pytest.raises(ValidationError) as error:
        tree.create_folder(alice, None, other)
    assert code(error) == "name_taken"
    tree.create_folder(alice, top, other)  # another parent: fine
    with pytest.raises(ValidationError) as error:
        tree.create_folder(alice, top, other.swapcase())
    assert code(error) == "name_taken"


def test_two_people_may_use_the_same_name(alice: User, bob: User) -> None:
    tree.create_folder(alice, None, "Photos")
    tree.create_folder(bob, None, "Photos")
    assert Folder.objects.filter(name="Photos").count() == 2


def test_the_database_constraint_becomes_the_same_error(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests creating one name at once both pass the friendly check."""
    tree.create_folder(alice, None, "Photos")
    monkeypatch.setattr(tree.names, "taken", lambda *args, **kwargs: None)
    with pytest.raises(ValidationError) as error:
        tree.create_folder(alice, None, "photos")
    assert code(error) == "name_taken"
    assert Folder.objects.count() == 1  # and the transaction is still usable


def test_renaming_keeps_names_unique(alice: User) -> None:
    tree.create_folder(alice, None, "Photos")
    music = tree.create_folder(alice, None, "Music")
    with pytest.raises(ValidationError) as error:
        tree.rename_folder(music, "photos")
    assert code(error) == "name_taken"
    tree.rename_folder(music, "MUSIC")  # its own name in another case: fine
    assert Folder.objects.get(pk=music.pk).name == "MUSIC"


def test_moving_a_folder_rewrites_its_subtree(alice: User, make_file: MakeFile) -> None:
    a = tree.create_folder(alice, None, "a")
    b = tree.create_folder(alice, a, "b")
    c = tree.create_folder(alice, b, "c")
    target = tree.create_folder(alice, None, "target")
    tree.move_folder(b, target)
    b.refresh_from_db()
    c.refresh_from_db()
    assert b.parent == target
    assert b.path == f"/{target.pk}/{b.pk}/"
    assert c.path == f"/{target.pk}/{b.pk}/{c.pk}/"
    assert tree.ancestors(c, alice) == [target, b]
    a.refresh_from_db()
    assert a.path == f"/{a.pk}/"

    tree.move_folder(b, None)
    c.refresh_from_db()
    assert c.path == f"/{b.pk}/{c.pk}/"


@pytest.mark.parametrize("into", ["itself", "child", "grandchild"])
def test_a_folder_cannot_move_into_its_own_subtree(alice: User, into: str) -> None:
    a = tree.create_folder(alice, None, "a")
    child = tree.create_folder(alice, a, "child")
    grandchild = tree.create_folder(alice, child, "grandchild")
    target = {"itself": a, "child": child, "grandchild": grandchild}[into]
    with pytest.raises(ValidationError) as error:
        tree.move_folder(a, target)
    assert code(error) == "cycle"
    a.refresh_from_db()
    assert a.parent is None
    assert a.path == f"/{a.pk}/"


def test_a_sibling_with_a_similar_path_is_not_a_descendant(alice: User) -> None:
    a = tree.create_folder(alice, None, "a")
    b = tree.create_folder(alice, None, "b")
    tree.move_folder(a, b)
    assert Folder.objects.get(pk=a.pk).parent == b


def test_moving_refuses_a_name_taken_in_the_target(alice: User) -> None:
    target = tree.create_folder(alice, None, "target")
    tree.create_folder(alice, target, "Docs")
    docs = tree.create_folder(alice, None, "docs")
    with pytest.raises(ValidationError) as error:
        tree.move_folder(docs, target)
    assert code(error) == "name_taken"
    docs.refresh_from_db()
    assert docs.parent is None


def test_moving_into_another_owners_folder_is_a_programming_error(alice: User, bob: User) -> None:
    mine = tree.create_folder(alice, None, "mine")
    theirs = tree.create_folder(bob, None, "theirs")
    with pytest.raises(ValueError):
        tree.move_folder(mine, theirs)
    with pytest.raises(ValueError):
        tree.create_folder(alice, theirs, "sneaky")


def test_it_moves_only_the_owners_files(alice: User, bob: User, make_file: MakeFile) -> None:
    target = tree.create_folder(alice, None, "target")
    one, two = make_file(alice, "one.txt"), make_file(alice, "two.txt")
    theirs = make_file(bob, "theirs.txt")
    assert tree.move_files(alice, [one.pk, two.pk, theirs.pk], target) == 2
    assert set(target.files.all()) == {one, two}
    theirs.refresh_from_db()
    assert theirs.folder is None
    assert tree.move_files(alice, [one.pk], None) == 1
    assert set(target.files.all()) == {two}


def test_it_counts_what_a_delete_would_remove(alice: User, make_file: MakeFile) -> None:
    top = tree.create_folder(alice, None, "top")
    sub = tree.create_folder(alice, top, "sub")
    tree.create_folder(alice, sub, "empty")
    tree.move_files(alice, [make_file(alice, "a", b"x" * 10).pk], top)
    tree.move_files(alice, [make_file(alice, "b", b"x" * 5).pk], sub)
    make_file(alice, "elsewhere", b"x" * 100)
    assert tree.contents(top) == tree.Contents(folders=2, files=2, bytes=15)
    assert tree.contents(sub) == tree.Contents(folders=1, files=1, bytes=5)


def test_deleting_a_folder_removes_its_subtree_and_bytes_after_commit(
    alice: User,
    make_file: MakeFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    top = tree.create_folder(alice, None, "top")
    sub = tree.create_folder(alice, top, "sub")
    deep = tree.create_folder(alice, sub, "deep")
    kept_folder = tree.create_folder(alice, None, "kept")
    inside = [make_file(alice, f"{n}.txt", n.encode()) for n in ("top", "sub", "deep")]
    for stored, folder in zip(inside, [top, sub, deep], strict=True):
        tree.move_files(alice, [stored.pk], folder)
    kept = make_file(alice, "kept.txt")
    paths = [stored_path(stored.file.name) for stored in inside]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tree.delete_folder(top)
    # Rows are gone at once; bytes wait for the commit.
    assert list(Folder.objects.all()) == [kept_folder]
    assert list(UploadedFile.objects.all()) == [kept]
    assert all(path.exists() for path in paths)
    assert len(callbacks) == 3
    for callback in callbacks:
        callback()
    assert stored_paths() == [stored_path(kept.file.name)]


def test_a_rolled_back_folder_delete_keeps_the_bytes(alice: User, make_file: MakeFile) -> None:
    top = tree.create_folder(alice, None, "top")
    stored = make_file(alice, "a.txt")
    tree.move_files(alice, [stored.pk], top)
    with pytest.raises(RuntimeError), transaction.atomic():
        tree.delete_folder(top)
        raise RuntimeError("changed my mind")
    assert Folder.objects.filter(pk=top.pk).exists()
    assert stored_path(stored.file.name).exists()


def test_deleting_a_user_cascades_to_folders_and_bytes(
    alice: User,
    make_file: MakeFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    top = tree.create_folder(alice, None, "top")
    tree.create_folder(alice, top, "sub")
    stored = make_file(alice, "a.txt")
    tree.move_files(alice, [stored.pk], top)
    with django_capture_on_commit_callbacks(execute=True):
        alice.delete()
    assert not Folder.objects.exists()
    assert stored_paths() == []


def test_ensure_path_finds_or_creates_each_folder(alice: User) -> None:
    top = tree.create_folder(alice, None, "top")
    existing = tree.create_folder(alice, top, "Holiday")
    day = tree.ensure_path(alice, top, ["holiday", "day 1"])
    assert day is not None
    assert day.parent == existing
    assert tree.ensure_path(alice, top, ["HOLIDAY", "Day 1"]) == day
    assert tree.ensure_path(alice, top, []) == top
    assert Folder.objects.count() == 3


def test_folder_choices_are_labelled_with_their_path_in_tree_order(alice: User) -> None:
    b = tree.create_folder(alice, None, "b")
    a = tree.create_folder(alice, None, "A")
    b_sub = tree.create_folder(alice, b, "sub")
    a_sub = tree.create_folder(alice, a, "zed")
    assert tree.folder_choices(alice) == [
        (a, "A"),
        (a_sub, "A / zed"),
        (b, "b"),
        (b_sub, "b / sub"),
    ]


def test_an_editor_moves_only_inside_the_share_holding_the_item(
    alice: User, bob: User, make_file: MakeFile
) -> None:
    shared = tree.create_folder(alice, None, "Shared")
    a = tree.create_folder(alice, shared, "A")
    b = tree.create_folder(alice, shared, "B")
    other = tree.create_folder(alice, None, "Other")
    grants.share(shared, bob, Share.Role.EDITOR)
    grants.share(other, bob, Share.Role.EDITOR)
    inside = make_file(alice, "inside.txt", folder=a)

    assert tree.move_files(bob, [inside.pk], b) == 1
    tree.move_folder(b, a, by=bob)
    b.refresh_from_db()
    assert b.path == f"{a.path}{b.pk}/"

    # Not to alice's top level, not into her other share: both leave this one.
    for target in (None, other):
        with pytest.raises(ValidationError) as error:
            tree.move_files(bob, [inside.pk], target)
        assert code(error) == "outside_share"
        with pytest.raises(ValidationError) as error:
            tree.move_folder(a, target, by=bob)
        assert code(error) == "outside_share"
    inside.refresh_from_db()
    a.refresh_from_db()
    assert inside.folder == b and a.parent == shared


def test_a_viewer_moves_nothing(alice: User, bob: User, make_file: MakeFile) -> None:
    shared = tree.create_folder(alice, None, "Shared")
    a = tree.create_folder(alice, shared, "A")
    grants.share(shared, bob)
    inside = make_file(alice, "inside.txt", folder=shared)
    assert tree.move_files(bob, [inside.pk], a) == 0  # not his to change: ignored
    with pytest.raises(ValidationError):
        tree.check_move(bob, alice.pk, shared.path, a)
