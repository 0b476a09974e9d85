"""files.filenames: what a user's filename may look like, and what a browser meant by it."""

from __future__ import annotations

import unicodedata

import pytest

from files.names import MAX_NAME_LENGTH, clean_filename, unescape_form_filename


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\x00b.txt", "ab.txt"),
        ("a\r\nb.txt", "ab.txt"),
        ("tab\there.txt", "tabhere.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("zero\u200bwidth.txt", "zerowidth.txt"),
        ("\ufeffbom.txt", "bom.txt"),
        ("\x7fdel.txt", "del.txt"),
        ("line\u2028sep\u2029.txt", "linesep.txt"),
    ],
)
def test_it_removes_control_and_format_characters(raw: str, expected: str) -> None:
    assert clean_filename(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("/etc/passwd", "passwd"),
        ("C:\\x\\y.txt", "y.txt"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("dir/sub/file.txt", "file.txt"),
    ],
)
def test_it_strips_path_components(raw: str, expected: str) -> None:
    assert clean_filename(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", " ", ".", "..", " .. ", "dir/..", "dir/", "\u202e", "\x00\u200b", "a\\.."]
)
def test_it_returns_empty_when_nothing_usable_is_left(raw: str) -> None:
    assert clean_filename(raw) == ""


def test_it_strips_surrounding_whitespace_only() -> None:
    assert clean_filename("  my  notes.txt  ") == "my  notes.txt"


@pytest.mark.parametrize("name", ["áéБД.txt", "rapport d’été 2026.pdf", "日本語.txt", ".bashrc"])
def test_it_keeps_ordinary_names(name: str) -> None:
    assert clean_filename(name) == name


def test_it_caps_the_length_keeping_the_extension() -> None:
    cleaned = clean_filename("a" * 300 + ".tar.gz")
    assert cleaned == "a" * (MAX_NAME_LENGTH - len(".gz")) + ".gz"
    assert len(cleaned) == MAX_NAME_LENGTH == 255


def test_it_caps_the_length_of_a_name_without_extension() -> None:
    assert clean_filename("b" * 300) == "b" * 255


def test_it_does_not_mistake_a_long_tail_for_an_extension() -> None:
    raw = "report." + "x" * 300
    assert clean_filename(raw) == raw[:255]


def test_it_leaves_a_name_of_255_characters_alone() -> None:
    name = "c" * 251 + ".txt"
    assert clean_filename(name) == name


def test_it_normalizes_to_nfc() -> None:
    assert clean_filename("e\u0301te\u0301.txt") == "\u00e9t\u00e9.txt"


def test_it_normalizes_after_removing_characters() -> None:
    # A zero-width space between a letter and its accent kept them apart for NFC.
    cleaned = clean_filename("cafe\u200b\u0301.txt")
    assert cleaned == "caf\u00e9.txt"
    assert unicodedata.is_normalized("NFC", cleaned)


@pytest.mark.parametrize(
    ("sent", "meant"),
    [
        ("say %22hi%22.txt", 'say "hi".txt'),
        ("two%0D%0Alines.txt", "two\r\nlines.txt"),
        ("only%0Alf.txt", "only\nlf.txt"),
        # Nothing else is decoded: these are what the file is really called.
        ("100%25.txt", "100%25.txt"),
        ("%41.txt", "%41.txt"),
        ("lower%0a.txt", "lower%0a.txt"),
        ("plain.txt", "plain.txt"),
    ],
)
def test_it_undoes_the_three_escapes_of_a_multipart_filename(sent: str, meant: str) -> None:
    assert unescape_form_filename(sent) == meant


def test_an_escaped_line_break_ends_up_removed() -> None:
    assert clean_filename(unescape_form_filename("two%0D%0Alines.txt")) == "twolines.txt"
