"""The values deploy/nginx.conf shares with Python come from files.contract, and still fit.

No nginx here: the template is rendered as deploy.stack renders it, and its
location patterns are tried, in Python's regex dialect, on the paths Django writes.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from deploy.stack import DEPLOY_DIR, render, s3_values
from files import contract
from files.delivery import nginx
from files.delivery.objects import StoredObject

TEMPLATE = (DEPLOY_DIR / "nginx.conf").read_text()
OBJECT = StoredObject(
    key=contract.storage_key(7, uuid.uuid4()),
    size=1,
    content_type="image/png",
    name="pic.png",
    etag="ab" * 32,
    modified=timezone.now(),
)


def _rendered(**values: object) -> str:
    placeholders = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", TEMPLATE))
    filler: dict[str, object] = dict.fromkeys(placeholders, "x")
    shared = {
        "download_csp": contract.DOWNLOAD_CSP,
        "signed_location": contract.SIGNED_LOCATION,
        "zip_location": contract.ZIP_LOCATION,
        "click_location": contract.CLICK_LOCATION,
    }
    return render(TEMPLATE, filler | shared | s3_values({}) | values)


def _location(config: str, start: str) -> re.Pattern[str]:
    """The regex of the nginx location that begins with `start`, as a Python pattern."""
    match = re.search(r'location ~ "(' + re.escape(start) + r'[^"]*)"', config)
    assert match, f"no location {start}..."
    return re.compile(match.group(1).replace("(?<", "(?P<"))


def test_the_template_writes_no_shared_value_itself() -> None:
    assert "default-src" not in TEMPLATE
    assert "[0-9a-f-]{36}" not in TEMPLATE
    assert contract.DOWNLOAD_CSP in _rendered()


def test_the_signed_location_takes_the_urls_django_signs(settings: Settings) -> None:
    settings.PORTAL_SIGNED_URL_SECRET = "s" * 32
    url = nginx.signed_url(OBJECT, as_attachment=True, filename="pic.png")
    assert url is not None

    match = _location(_rendered(), "^/_signed/").fullmatch(url)

    assert match is not None
    assert match["portal_signed_id"] == OBJECT.key.rsplit("/", 1)[1]
    assert match["portal_signed_key"] == OBJECT.key
    assert match["portal_signed_d"] == "attachment"
    # What nginx signs: the path after the signature, "?" and the query string.
    signature = nginx.sign(match["portal_signed_path"], "", "s" * 32)
    assert match["portal_signed_s"] == signature
    assert url.endswith("/pic.png")


@pytest.mark.parametrize(
    ("filename", "fallback"),
    [
        ("pic.png", "pic.png"),
        ("x", "x"),
        ("rapport d’été 2026.pdf", "rapport_d_ete_2026.pdf"),
        ('say "hi" 50%.bin', "say_hi_50_.bin"),
    ],
)
def test_the_signed_location_reads_the_names_django_signs(
    settings: Settings, filename: str, fallback: str
) -> None:
    settings.PORTAL_SIGNED_URL_SECRET = "s" * 32
    url = nginx.signed_url(OBJECT, as_attachment=True, filename=filename)
    assert url is not None
    path, _, query = url.partition("?")

    match = _location(_rendered(), "^/_signed/").fullmatch(path)

    assert match is not None
    assert match["portal_signed_a"] == fallback
    assert match["portal_signed_t"] == OBJECT.content_type
    # The encoded name comes only when the name is not its own fallback:
    # otherwise filename="..." goes alone.
    assert query == ("" if filename == fallback else quote(filename, safe=""))
    assert match["portal_signed_s"] == nginx.sign(match["portal_signed_path"], query, "s" * 32)


@pytest.mark.parametrize(
    "name",
    [
        "",  # no name at all
        "a%20b",  # outside its alphabet: nginx matches the path decoded, "a b"
        "a b",
        'a"b',
        "a;b",
        "résumé",
        "x/y",  # a second name
    ],
)
def test_the_signed_location_refuses_a_name_outside_its_alphabet(name: str) -> None:
    path = f"/_signed/{'A' * 22}/1/attachment/text/plain/{OBJECT.key}/{name}"

    assert _location(_rendered(), "^/_signed/").fullmatch(path) is None


def test_the_zip_location_takes_the_zip_urls_and_nothing_else() -> None:
    zips = _location(_rendered(), "^/(?:files/")
    folder = uuid.uuid4()

    for url in (reverse("files:zip-all"), reverse("files:folder-zip", args=[folder]),
                reverse("links:zip", args=["a-token_0"])):  # fmt: skip
        assert zips.fullmatch(url), url
    for url in (reverse("files:download", args=[folder]), reverse("files:folder", args=[folder]),
                "/files/folders/../../download/", reverse("links:open", args=["t"])):  # fmt: skip
        assert not zips.fullmatch(url), url


def test_the_click_location_takes_a_files_download_and_nothing_else() -> None:
    clicks = _location(_rendered(), "^/files/")
    file = uuid.uuid4()

    assert clicks.fullmatch(reverse("files:download", args=[file]))
    for url in (reverse("files:preview", args=[file]), reverse("files:thumbnail", args=[file]),
                reverse("files:zip-all"), reverse("files:folder-zip", args=[file]),
                f"/files/{file}/download/x", f"/files/x/{file}/download/"):  # fmt: skip
        assert not clicks.fullmatch(url), url


@pytest.mark.parametrize("if_range", [None, '"another version"'])
def test_the_s3_location_takes_the_redirects_django_writes(
    rf: RequestFactory, settings: Settings, if_range: str | None
) -> None:
    settings.AWS_STORAGE_BUCKET_NAME = "portal"
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9"
    settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY = "key", "secret"
    settings.STORAGES = {
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    headers = {"HTTP_RANGE": "bytes=0-0"} | ({"HTTP_IF_RANGE": if_range} if if_range else {})
    accel = nginx.x_accel_s3(rf.get("/", **headers), OBJECT)["X-Accel-Redirect"]

    match = _location(_rendered(), "^/_s3").fullmatch(accel.partition("?")[0])

    assert match is not None
    assert match["portal_s3_etag"] == OBJECT.etag
    assert match["portal_s3_whole"] == ("_whole" if if_range else None)
    assert match["portal_s3_path"] == f"/portal/{OBJECT.key}"


def test_the_protected_location_is_the_prefix_django_uses() -> None:
    assert f"location {contract.PROTECTED_PREFIX} {{" in TEMPLATE


@pytest.mark.parametrize(
    ("env", "values"),
    [
        (
            {"PORTAL_STORAGE": "s3", "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:8333"},
            {"s3_server": "127.0.0.1:8333", "s3_host": "127.0.0.1:8333", "s3_scheme": "http"},
        ),
        (
            {"PORTAL_STORAGE": "s3", "AWS_S3_REGION_NAME": "eu-central-1"},
            {
                "s3_server": "s3.eu-central-1.amazonaws.com:443",
                "s3_host": "s3.eu-central-1.amazonaws.com",
                "s3_scheme": "https",
            },
        ),
        (
            {
                "PORTAL_STORAGE": "s3",
                "AWS_S3_ENDPOINT_URL": "https://storage.example.org",
                "AWS_S3_ADDRESSING_STYLE": "virtual",
                "AWS_STORAGE_BUCKET_NAME": "files",
            },
            {"s3_server": "files.storage.example.org:443", "s3_host": "files.storage.example.org"},
        ),
        ({}, {"s3_server": "127.0.0.1:9"}),
    ],
)
def test_nginx_proxies_to_the_host_the_urls_are_signed_for(
    env: dict[str, str], values: dict[str, str]
) -> None:
    assert s3_values(env).items() >= values.items()
