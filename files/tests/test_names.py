"""Names unique per place: uploads keep both as "name (1).ext", the rest refuse a taken name."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from files import names
from files.folders import tree
from files.models import Folder, UploadedFile
from files.names import MAX_NAME_LENGTH, numbered, split_extension
from files.tests.conftest import MakeFile, MakeFolder
from files.uploads import intake


def describe(name: str, content: bytes = b"x") -> UploadedFile:
    return intake.describe_upload(SimpleUploadedFile(name, content), name)


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("report.pdf", ("report", ".pdf")),
        ("archive.tar.gz", ("archive", ".tar.gz")),
        ("ARCHIVE.TAR.XZ", ("ARCHIVE", ".TAR.XZ")),
        (".bashrc", (".bashrc", "")),
        (".hidden.txt", (".hidden", ".txt")),
        ("README", ("README", "")),
        ("v1.2.3", ("v1.2", ".3")),
        ("a.tar", ("a", ".tar")),
        ("name." + "x" * 17, ("name." + "x" * 17, "")),
    ],
)
def test_it_splits_the_extension_it_keeps(name: str, parts: tuple[str, str]) -> None:
    assert split_extension(name) == parts


@pytest.mark.parametrize(
    ("name", "number", "copy"),
    [
        ("report.pdf", 1, "report (1).pdf"),
        ("archive.tar.gz", 2, "archive (2).tar.gz"),
        ("README", 3, "README (3)"),
        (".bashrc", 1, ".bashrc (1)"),
        ("report (1).pdf", 2, "report (2).pdf"),
    ],
)
def test_it_numbers_a_copy(name: str, number: int, copy: str) -> None:
    assert numbered(name, number) == copy


def test_a_long_name_is_cut_in_its_stem_to_keep_the_number_and_extension() -> None:
    name = "x" * (MAX_NAME_LENGTH - 4) + ".pdf"
    copy = numbered(name, 12)
    assert len(copy) == MAX_NAME_LENGTH
    assert copy.endswith("x (12).pdf")


def test_an_upload_of_a_taken_name_is_stored_as_a_numbered_copy(
    alice: User, make_file: MakeFile
) -> None:
    first = make_file(alice, "report.pdf", b"first")
    second = make_file(alice, "report.pdf", b"second")
    third = make_file(alice, "report.pdf", b"third")
    assert [first.name, second.name, third.name] == [
        "report.pdf",
        "report (1).pdf",
        "report (2).pdf",
    ]
    # Nothing overwritten: three rows, three keys, three contents.
    assert {f.file.read() for f in UploadedFile.objects.all()} == {b"first", b"second", b"third"}


def test_the_extension_of_an_archive_is_kept(alice: User, make_file: MakeFile) -> None:
    make_file(alice, "backup.tar.gz")
    assert make_file(alice, "backup.tar.gz").name == "backup (1).tar.gz"


def test_a_clash_ignores_case(alice: User, make_file: MakeFile) -> None:
    make_file(alice, "Report.PDF")
    assert make_file(alice, "report.pdf").name == "report (1).pdf"
    assert make_file(alice, "REPORT (1).pdf").name == "REPORT (2).pdf"


def test_the_first_free_number_is_taken(alice: User, make_file: MakeFile) -> None:
    make_file(alice, "a.txt")
    make_file(alice, "a (2).txt")
    assert make_file(alice, "a.txt").name == "a (1).txt"
    assert make_file(alice, "a.txt").name == "a (3).txt"


def test_a_long_taken_name_gets_a_copy_within_the_limit(alice: User, make_file: MakeFile) -> None:
    name = "y" * (MAX_NAME_LENGTH - 4) + ".txt"
    make_file(alice, name)
    copies = [make_file(alice, name).name for _ in range(2)]
    assert all(len(copy) == MAX_NAME_LENGTH for copy in copies)
    assert [copy[-9:] for copy in copies] == ["y (1).txt", "y (2).txt"]


def test_names_are_per_place(
    alice: User, bob: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    docs = make_folder(alice, "Docs")
    assert make_file(alice, "a.txt").name == "a.txt"
    assert make_file(alice, "a.txt", folder=docs).name == "a.txt"
    assert make_file(bob, "a.txt").name == "a.txt"


def test_a_folder_of_the_name_makes_the_upload_a_copy(
    alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    make_folder(alice, "Minutes")
    assert make_file(alice, "minutes").name == "minutes (1)"


def test_one_upload_of_two_files_of_one_name_stores_both(alice: User) -> None:
    stored = intake.store_uploads(alice, [describe("a.txt"), describe("A.txt")])
    assert [f.name for f in stored] == ["a.txt", "A (1).txt"]


def test_a_directory_named_like_a_file_refuses_the_upload(alice: User, make_file: MakeFile) -> None:
    make_file(alice, "holiday")
    with pytest.raises(ValidationError) as refused:
        intake.store_uploads(alice, [describe("day1.jpg")], directory=["Holiday"])
    assert refused.value.code == "name_taken"
    assert refused.value.messages == ["A file named “Holiday” already exists in the top level."]
    assert UploadedFile.objects.count() == 1
    assert not Folder.objects.exists()


def test_a_directory_that_exists_is_reused(alice: User, make_folder: MakeFolder) -> None:
    holiday = make_folder(alice, "Holiday")
    [stored] = intake.store_uploads(alice, [describe("day1.jpg")], directory=["holiday"])
    assert stored.folder == holiday


def test_free_name_needs_two_queries_when_free_and_three_when_taken(
    alice: User, make_file: MakeFile, django_assert_num_queries: object
) -> None:
    for _ in range(5):
        make_file(alice, "n.txt")
    with django_assert_num_queries(2):  # type: ignore[operator]
        assert names.free_name(alice.pk, None, "fresh.txt", set()) == "fresh.txt"
    with django_assert_num_queries(3):  # type: ignore[operator]
        assert names.free_name(alice.pk, None, "n.txt", set()) == "n (5).txt"


# Rename


def test_rename_refuses_a_taken_name(alice: User, make_file: MakeFile) -> None:
    make_file(alice, "taken.txt")
    other = make_file(alice, "other.txt")
    with pytest.raises(ValidationError) as refused:
        intake.rename_file(other, "TAKEN.txt")
    assert refused.value.code == "name_taken"
    assert refused.value.messages == ["A file named “TAKEN.txt” already exists in the top level."]
    other.refresh_from_db()
    assert other.name == "other.txt"


def test_rename_refuses_a_folders_name(
    alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    docs = make_folder(alice, "Docs")
    make_folder(alice, "Old", parent=docs)
    stored = make_file(alice, "new.txt", folder=docs)
    with pytest.raises(ValidationError) as refused:
        intake.rename_file(stored, "old")
    assert refused.value.messages == ["A folder named “old” already exists in “Docs”."]


def test_rename_may_change_the_case_of_its_own_name(alice: User, make_file: MakeFile) -> None:
    stored = make_file(alice, "readme.txt")
    assert intake.rename_file(stored, "README.txt").name == "README.txt"


# Folders meet files too


def test_a_folder_cannot_take_a_files_name(alice: User, make_file: MakeFile) -> None:
    make_file(alice, "Notes")
    with pytest.raises(ValidationError) as refused:
        tree.create_folder(alice, None, "notes")
    assert refused.value.messages == ["A file named “notes” already exists in the top level."]


def test_a_folder_cannot_be_renamed_or_moved_onto_a_files_name(
    alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    docs = make_folder(alice, "Docs")
    make_file(alice, "plans", folder=docs)
    plans = make_folder(alice, "Plans")
    with pytest.raises(ValidationError):
        tree.move_folder(plans, docs)
    other = make_folder(alice, "Other", parent=docs)
    with pytest.raises(ValidationError):
        tree.rename_folder(other, "PLANS")
    plans.refresh_from_db()
    assert plans.parent is None


# Moves


def test_a_move_onto_a_taken_name_moves_nothing(
    alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    docs = make_folder(alice, "Docs")
    make_file(alice, "a.txt", folder=docs)
    a, b = make_file(alice, "A.TXT"), make_file(alice, "b.txt")
    with pytest.raises(ValidationError) as refused:
        tree.move_files(alice, [a.pk, b.pk], docs)
    assert refused.value.code == "name_taken"
    assert refused.value.messages == ["Nothing was moved: “Docs” already holds “a.txt”."]
    assert UploadedFile.objects.filter(folder=None).count() == 2


def test_a_move_onto_a_folders_name_moves_nothing(
    alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    docs = make_folder(alice, "Docs")
    stored = make_file(alice, "docs", folder=make_folder(alice, "Inbox"))
    with pytest.raises(ValidationError) as refused:
        tree.move_files(alice, [stored.pk], None)
    assert refused.value.messages == ["Nothing was moved: the top level already holds “Docs”."]
    assert docs.files.count() == 0


def test_a_selection_holding_one_name_twice_moves_nothing(
    alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    one, two = make_folder(alice, "One"), make_folder(alice, "Two")
    first = make_file(alice, "same.txt", folder=one)
    second = make_file(alice, "SAME.txt", folder=two)
    with pytest.raises(ValidationError) as refused:
        tree.move_files(alice, [first.pk, second.pk], None)
    assert refused.value.messages == [
        "Nothing was moved: several of the files chosen are named “SAME.txt”."
    ]


def test_a_file_already_in_the_target_does_not_clash_with_itself(
    alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    docs = make_folder(alice, "Docs")
    there = make_file(alice, "a.txt", folder=docs)
    other = make_file(alice, "b.txt")
    assert tree.move_files(alice, [there.pk, other.pk], docs) == 2


def test_the_database_refuses_a_duplicate_that_skips_the_services(
    alice: User, make_file: MakeFile
) -> None:
    from django.db import IntegrityError, transaction

    stored = make_file(alice, "a.txt")
    with pytest.raises(IntegrityError), transaction.atomic():
        UploadedFile.objects.create(
            owner=alice, file="u/x", name="A.txt", size=1, content_type="x", sha256="0"
        )
    assert stored.name == "a.txt"
