"""Threat: a filename that escapes the storage root, forges a header, or passes for another.

A name is only ever stored in the database and sent back in Content-Disposition
(files/filenames.py, files/delivery/headers.py); the bytes live under u/<owner>/<uuid>.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import User
from files.contract import SIGNED_LOCATION
from files.delivery.headers import content_disposition
from files.delivery.nginx import signed_url
from files.delivery.objects import StoredObject
from files.models import UploadedFile
from files.names import MAX_NAME_LENGTH, ascii_fallback, clean_filename
from files.tests.conftest import MakeFile
from files.tests.utils import body, stored_paths
from tests.tooling import MultipartBody

KEY = re.compile(r"u/[0-9]+/[0-9a-f-]{36}")
SIGNED_PATH = re.compile(SIGNED_LOCATION.replace("(?<", "(?P<"))
SIGNED_OBJECT = StoredObject(
    key="u/7/0b9f7a4e-1f7e-4c3e-9d0a-2b4c6d8e0f12",
    size=1,
    content_type="application/octet-stream",
    name="x",
    etag="ab" * 32,
    modified=datetime(2026, 1, 1, tzinfo=UTC),
)
HEADER = re.compile(
    r"attachment; filename=\"(?P<fallback>[A-Za-z0-9._~-]+)\""
    r"(?:; filename\*=utf-8''(?P<encoded>[A-Za-z0-9._~%-]+))?"
)
UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}


def upload(client: Client, name: str, content: bytes = b"payload"):
    return client.post("/files/upload/", {"file": SimpleUploadedFile(name, content)})


def assert_stored_safely(upload: UploadedFile) -> None:
    """The key is ours and the bytes lie under MEDIA_ROOT, whatever the name was."""
    assert KEY.fullmatch(upload.file.name)
    root = Path(settings.MEDIA_ROOT).resolve()
    assert Path(upload.file.path).resolve().is_relative_to(root)
    assert stored_paths() == [root / upload.file.name]


def named_in_header(header: str) -> str:
    """The name a client that understands filename* saves under."""
    match = HEADER.fullmatch(header)
    assert match, header
    encoded = match.group("encoded")
    return unquote(encoded, errors="strict") if encoded else match.group("fallback")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/etc/passwd", "passwd"),
        ("C:\\Users\\alice\\notes.txt", "notes.txt"),
        ("\\\\server\\share\\x.txt", "x.txt"),
        ("a/../../b.txt", "b.txt"),
        # Percent-encoded forms are not decoded: they stay a harmless literal name.
        ("..%2F..%2Fetc%2Fpasswd", "..%2F..%2Fetc%2Fpasswd"),
        ("%2e%2e%2f%2e%2e%2fpasswd", "%2e%2e%2f%2e%2e%2fpasswd"),
        ("..%252F..%252Fpasswd", "..%252F..%252Fpasswd"),
        ("....//....//passwd", "passwd"),
    ],
)
def test_path_traversal_never_leaves_the_storage_root(
    alice_client: Client, raw: str, shown: str
) -> None:
    response = upload(alice_client, raw)
    assert response.status_code == 302
    stored = UploadedFile.objects.get()
    assert stored.name == shown
    assert_stored_safely(stored)
    download = alice_client.get(f"/files/{stored.pk}/download/")
    assert named_in_header(download["Content-Disposition"]) == shown
    assert body(download) == b"payload"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x00b.txt", "ab.txt"),
        ("bell\x07\x1b[31m.txt", "bell[31m.txt"),
        # "invoice<RLO>fdp.exe" shows as "invoiceexe.pdf" in a right-to-left-aware list.
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("\u2066isolate\u2069.txt", "isolate.txt"),
        ("zero\u200bwidth\ufeff.txt", "zerowidth.txt"),
    ],
)
def test_control_and_bidi_characters_are_removed(
    alice_client: Client, raw: str, shown: str
) -> None:
    assert upload(alice_client, raw).status_code == 302
    stored = UploadedFile.objects.get()
    assert stored.name == shown
    header = alice_client.get(f"/files/{stored.pk}/download/")["Content-Disposition"]
    assert named_in_header(header) == shown
    page = alice_client.get("/files/").content.decode()
    assert "\u202e" not in page and "\x00" not in page


@pytest.mark.parametrize(
    "raw", ["é" * 600 + ".pdf", "a" * 5000 + ".txt", "日本" * 400, "x" * 1000 + "." + "y" * 40]
)
def test_a_name_of_a_thousand_bytes_and_more_is_shortened(alice_client: Client, raw: str) -> None:
    assert len(raw.encode()) > 1000
    assert upload(alice_client, raw).status_code == 302
    stored = UploadedFile.objects.get()
    assert len(stored.name) <= MAX_NAME_LENGTH
    if raw.endswith((".pdf", ".txt")):
        assert stored.name.endswith(raw[-4:])
    header = alice_client.get(f"/files/{stored.pk}/download/")["Content-Disposition"]
    assert named_in_header(header) == stored.name
    assert_stored_safely(stored)


@pytest.mark.parametrize("raw", ["CON", "nul.txt", "Aux.tar.gz", "COM1.log", "lpt9", "CONIN$"])
def test_windows_device_names_never_reach_a_legacy_client_as_they_are(
    alice_client: Client, raw: str
) -> None:
    assert upload(alice_client, raw).status_code == 302
    stored = UploadedFile.objects.get()
    assert stored.name == raw  # faithful where it is shown
    header = alice_client.get(f"/files/{stored.pk}/download/")["Content-Disposition"]
    fallback = HEADER.fullmatch(header).group("fallback")  # type: ignore[union-attr]
    assert fallback.startswith("_")
    assert named_in_header(header) == raw  # browsers, wget and aria2 read filename*


@pytest.mark.parametrize("raw", ["", " ", "\x00", "\u202e\u200b", ".", "..", "../", "a/.."])
def test_an_empty_name_is_refused(alice_client: Client, tmp_path: Path, raw: str) -> None:
    # Sent raw: Django's own test client refuses to build a part with such a name.
    content = tmp_path / "content"
    content.write_bytes(b"payload")
    multipart = MultipartBody({}, [(raw, content)])
    response = alice_client.generic(
        "POST", "/files/upload/", multipart.read(), content_type=multipart.content_type
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert UploadedFile.objects.count() == 0
    assert stored_paths() == []


def test_a_rename_to_a_hostile_name_is_cleaned(
    alice_client: Client, make_file: MakeFile, alice: User
) -> None:
    stored = make_file(alice)
    response = alice_client.post(f"/files/{stored.pk}/", {"name": "../\u202egnp.exe\r\n"})
    assert response.status_code == 302
    stored.refresh_from_db()
    assert stored.name == "gnp.exe"
    assert_stored_safely(stored)


def test_names_that_normalise_alike_clash_and_never_overwrite(
    alice_client: Client,
) -> None:
    # Normalised alike, so taken alike: the second is kept as a numbered copy.
    composed, decomposed = "caf\u00e9.txt", "cafe\u0301.txt"
    assert unicodedata.normalize("NFC", decomposed) == composed
    upload(alice_client, composed, b"first")
    upload(alice_client, decomposed, b"second")
    files = list(UploadedFile.objects.order_by("created"))
    assert [f.name for f in files] == [composed, "caf\u00e9 (1).txt"]
    assert len({f.file.name for f in files}) == 2
    assert [body(alice_client.get(f"/files/{f.pk}/download/")) for f in files] == [
        b"first",
        b"second",
    ]


def test_a_compatibility_lookalike_is_kept_apart_but_falls_back_to_plain_ascii(
    alice_client: Client,
) -> None:
    # NFKC would fold the ligature into "file.txt": kept as typed (NFC only),
    # so the list shows what was uploaded; only the ASCII fallback folds it.
    upload(alice_client, "\ufb01le.txt")
    stored = UploadedFile.objects.get()
    assert stored.name == "\ufb01le.txt"
    header = alice_client.get(f"/files/{stored.pk}/download/")["Content-Disposition"]
    assert header == "attachment; filename=\"file.txt\"; filename*=utf-8''%EF%AC%81le.txt"


# Properties: any text at all, including surrogates-free unicode of every category.
names = st.text(st.characters(exclude_categories=("Cs",)), max_size=400)


@given(names)
def test_any_name_cleans_to_something_harmless(raw: str) -> None:
    name = clean_filename(raw)
    assert len(name) <= MAX_NAME_LENGTH
    assert "/" not in name and "\\" not in name
    assert name not in {".", ".."}
    assert not any(unicodedata.category(ch) in UNSAFE_CATEGORIES for ch in name)
    assert name == name.strip()
    assert clean_filename(name) == name  # cleaning twice changes nothing


@given(names)
def test_any_name_gets_an_ascii_fallback_and_round_trips_through_filename_star(raw: str) -> None:
    name = clean_filename(raw) or "download"
    header = content_disposition(as_attachment=True, filename=name)
    header.encode("ascii")  # a header value: never anything else
    fallback = HEADER.fullmatch(header).group("fallback")  # type: ignore[union-attr]
    assert fallback == ascii_fallback(name)
    assert len(fallback) <= MAX_NAME_LENGTH
    assert named_in_header(header) == name


@given(names)
def test_any_name_gets_a_signed_url_whose_captures_make_djangos_header(raw: str) -> None:
    # nginx writes Content-Disposition from the signed path's captures
    # (deploy/nginx.conf): for every name they must give Django's own header.
    name = clean_filename(raw) or "download"
    with override_settings(PORTAL_SIGNED_URL_SECRET="s" * 32):
        url = signed_url(SIGNED_OBJECT, as_attachment=True, filename=name)
    assert url is not None
    path, _, query = url.partition("?")  # nginx's $uri (no % in it to decode) and $args
    match = SIGNED_PATH.fullmatch(path)
    assert match is not None, url
    star = f"; filename*=utf-8''{query}" if query else ""
    built = f'{match["portal_signed_d"]}; filename="{match["portal_signed_a"]}"{star}'
    assert built == content_disposition(as_attachment=True, filename=name)


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names)
def test_any_name_is_stored_under_our_key_and_downloads_under_its_own_name(
    alice_client: Client, tmp_path: Path, raw: str
) -> None:
    UploadedFile.objects.all().delete()
    # Bytes go on commit, which never comes inside a test: compare, not expect none.
    before = stored_paths()
    content = tmp_path / "content"
    content.write_bytes(b"payload")
    # Raw multipart, as any client may send it: the test client refuses some names.
    multipart = MultipartBody({}, [(raw, content)])
    response = alice_client.generic(
        "POST", "/files/upload/", multipart.read(), content_type=multipart.content_type
    )
    if response.status_code in {200, 400}:
        # Refused (nothing usable left of the name, or a part a CR/LF broke).
        assert UploadedFile.objects.count() == 0
        assert stored_paths() == before
        return
    assert response.status_code == 302
    stored = UploadedFile.objects.get()
    assert stored.name and stored.name == clean_filename(stored.name)
    assert KEY.fullmatch(stored.file.name)
    assert Path(stored.file.path).resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    header = alice_client.get(f"/files/{stored.pk}/download/")["Content-Disposition"]
    assert named_in_header(header) == stored.name


def test_nginx_signs_and_sends_exactly_the_fallback_alphabet() -> None:
    # deploy/nginx.conf copies the signed path's last segment into filename="..."
    # untouched: it must accept every character ascii_fallback() writes, and
    # nothing a header could misread (files/tests/test_contract.py tries the
    # whole location on the URLs Django signs).
    config = (Path(settings.BASE_DIR) / "deploy" / "nginx.conf").read_text()
    assert 'location ~ "{{ signed_location }}"' in config
    assert SIGNED_LOCATION.endswith("/(?<portal_signed_a>[A-Za-z0-9_.~-]+))$")
    assert 'filename=\\"$portal_signed_a\\"$portal_signed_filename_star' in config
    assert "\"; filename*=utf-8''$args\"" in config
    alphabet = re.compile(r"[A-Za-z0-9_.~-]+")
    for name in ("rapport d’été 2026.pdf", "日本語.txt", 'a"b\\c%d;e,f.txt', "CON"):
        assert alphabet.fullmatch(ascii_fallback(name))
