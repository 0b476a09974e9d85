"""files.access through the querysets: owner, shares on the item or an ancestor, staff."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from accounts.models import User
from files import access
from files.models import Folder, Share
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder


@pytest.fixture
def tree(alice: User, make_folder: MakeFolder, make_file: MakeFile) -> dict[str, object]:
    """alice's /Projects/Report/ with a file at each level, and one loose file."""
    projects = make_folder(alice, "Projects")
    report = make_folder(alice, "Report", parent=projects)
    return {
        "projects": projects,
        "report": report,
        "loose": make_file(alice, "loose.txt"),
        "top": make_file(alice, "top.txt", folder=projects),
        "deep": make_file(alice, "deep.txt", folder=report),
    }


def file_names(files: object) -> set[str]:
    assert hasattr(files, "values_list")
    return set(files.values_list("name", flat=True))


def test_owner_reads_and_writes_her_files_in_and_out_of_folders(alice: User, tree: dict) -> None:
    expected = {"loose.txt", "top.txt", "deep.txt"}
    assert file_names(access.readable_files(alice)) == expected
    assert file_names(access.writable_files(alice)) == expected
    assert file_names(access.owned_files(alice)) == expected


def test_a_stranger_and_anonymous_read_nothing(charlie: User, tree: dict) -> None:
    assert not access.readable_files(charlie).exists()
    assert not access.readable_files(AnonymousUser()).exists()
    assert not access.readable_folders(charlie).exists()
    assert not access.writable_folders(AnonymousUser()).exists()


def test_a_file_share_reads_that_file_only(bob: User, tree: dict) -> None:
    grants.share(tree["top"], bob)
    assert file_names(access.readable_files(bob)) == {"top.txt"}
    assert not access.writable_files(bob).exists()
    assert not access.readable_folders(bob).exists()


def test_a_folder_share_covers_everything_below_it(bob: User, tree: dict) -> None:
    grants.share(tree["projects"], bob)
    assert file_names(access.readable_files(bob)) == {"top.txt", "deep.txt"}
    assert set(access.readable_folders(bob)) == {tree["projects"], tree["report"]}
    assert not access.writable_files(bob).exists()
    assert not access.writable_folders(bob).exists()


def test_a_share_below_does_not_open_the_folders_above(bob: User, tree: dict) -> None:
    grants.share(tree["report"], bob)
    assert file_names(access.readable_files(bob)) == {"deep.txt"}
    assert set(access.readable_folders(bob)) == {tree["report"]}


def test_an_editor_writes_inside_but_cannot_move_the_shared_folder(
    alice: User, bob: User, tree: dict, make_folder: MakeFolder
) -> None:
    grants.share(tree["projects"], bob, Share.Role.EDITOR)
    assert file_names(access.writable_files(bob)) == {"top.txt", "deep.txt"}
    assert set(access.writable_folders(bob)) == {tree["projects"], tree["report"]}
    assert set(access.movable_folders(bob)) == {tree["report"]}
    # Later additions are covered too: the share is on the subtree, not a list of rows.
    later = make_folder(alice, "Later", parent=tree["report"])
    assert access.writable_folders(bob).filter(pk=later.pk).exists()


def test_a_similar_path_prefix_is_not_an_ancestor(
    alice: User, bob: User, make_folder: MakeFolder, make_file: MakeFile
) -> None:
    shared = make_folder(alice, "A")
    sibling = make_folder(alice, "B")
    # A path that merely begins with the same characters is not below the shared folder.
    Folder.objects.filter(pk=sibling.pk).update(path=shared.path.rstrip("/") + "x/")
    make_file(alice, "sibling.txt", folder=sibling)
    grants.share(shared, bob)
    assert not access.readable_files(bob).exists()


def test_revoking_takes_effect_at_once(bob: User, tree: dict) -> None:
    granted = grants.share(tree["projects"], bob)
    granted.delete()
    assert not access.readable_files(bob).exists()


def test_staff_read_everything_and_write_nothing_of_others(staff: User, tree: dict) -> None:
    assert access.readable_files(staff).count() == 3
    assert access.readable_folders(staff).count() == 2
    assert not access.writable_files(staff).exists()


def test_editor_role_is_for_folders_only(bob: User, tree: dict) -> None:
    with pytest.raises(ValidationError) as raised:
        grants.share(tree["top"], bob, Share.Role.EDITOR)
    assert raised.value.code == "editor_on_file"


def test_nobody_shares_with_themselves(alice: User, tree: dict) -> None:
    with pytest.raises(ValidationError) as raised:
        grants.share(tree["top"], alice)
    assert raised.value.code == "self_share"


def test_sharing_again_changes_the_role(bob: User, tree: dict) -> None:
    grants.share(tree["projects"], bob)
    grants.share(tree["projects"], bob, Share.Role.EDITOR)
    assert Share.objects.get().role == Share.Role.EDITOR


def test_what_is_in_a_readable_folder_is_readable_as_a_whole(
    alice: User, bob: User, charlie: User, staff: User, tree: dict, make_file: MakeFile
) -> None:
    # files_in / folders_in skip the per-row rule: they must say what the rule says.
    grants.share(tree["report"], bob)
    grants.share(tree["projects"], charlie, Share.Role.EDITOR)
    make_file(alice, "second.txt", folder=tree["report"])
    checked = 0
    for user in (alice, bob, charlie, staff):
        for folder in access.readable_folders(user):
            within = access.readable_files(user).filter(folder=folder)
            assert file_names(access.files_in(folder)) == file_names(within)
            below = access.readable_folders(user).filter(parent=folder)
            assert set(access.folders_in(folder)) == set(below)
            checked += 1
    assert checked == 2 + 1 + 2 + 2
