"""Real download clients through the real stack: the saved file's name and bytes.

curl -OJ reads only `filename=` (the ASCII fallback); wget --content-disposition
and aria2c read `filename*` (RFC 6266). aria2c -x4 -s4 fetches four ranges at
once, across the signed URL when nginx signs. Each runs in an empty directory
and must leave exactly one file there: the right name, the right bytes.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from files.delivery.headers import content_disposition
from files.names import ascii_fallback, clean_filename
from tests.availability import skip_or_fail
from tests.integration.conftest import MIB
from tests.integration.support import PortalStack
from tests.tooling import PortalClient, Sample

pytestmark = pytest.mark.integration

# Hostile and non-ASCII names, none a part of another sample's name (the
# stacks are shared, and the tests find a file by searching for its name).
NAMES = (
    "rapport d’été 2026 (copie).pdf",
    "日本語のメモ.txt",
    "semi;colon,comma.txt",
    'quote "x" 100%.dat',
    "a#b?c&d=e+f.txt",
    "..\\..\\windows\\system.ini",
    "-rf --no-preserve-root.sh",
    "CON.txt",
    "emoji 🎉 party.zip",
)
SIZE = 5 * MIB  # above aria2c's 1 MiB split size: four segments
TOOLS = ("curl", "wget", "aria2c")


def command(tool: str, url: str, cookie: str) -> list[str]:
    header = f"Cookie: sessionid={cookie}"
    if tool == "curl":
        return ["curl", "--silent", "--show-error", "--fail", "-L", "-O", "-J", "-H", header, url]
    if tool == "wget":
        return ["wget", "--quiet", "--content-disposition", "--header", header, url]
    return [
        "aria2c",
        "--quiet",
        "-x4",
        "-s4",
        "--min-split-size=1M",
        # Slow enough per connection that one cannot fetch it all before the
        # others open: the segmented download must really be segmented.
        "--max-download-limit=4M",
        "--allow-overwrite=false",
        "--auto-file-renaming=false",
        "--header",
        header,
        url,
    ]


def saved_name(tool: str, name: str) -> str:
    stored = clean_filename(name)
    return ascii_fallback(stored) if tool == "curl" else stored


def upload_all(
    portal: PortalStack, directory: Path
) -> tuple[PortalClient, dict[str, str], dict[str, Sample]]:
    alice = portal.login("alice")
    samples = {name: Sample.write(directory, name, SIZE) for name in NAMES}
    response = alice.upload(*samples.values())
    assert response.status_code == 302, response.text[:2000]
    ids = {name: alice.file_id(clean_filename(name)) for name in NAMES}
    return alice, ids, samples


@pytest.fixture(scope="session")
def plain(stack: PortalStack, tmp_path_factory: pytest.TempPathFactory):
    return stack, *upload_all(stack, tmp_path_factory.mktemp("real-client-samples"))


@pytest.fixture(scope="session")
def signed(signed_stack: PortalStack, tmp_path_factory: pytest.TempPathFactory):
    return signed_stack, *upload_all(signed_stack, tmp_path_factory.mktemp("signed-client-samples"))


def download_with(tool: str, portal, name: str, directory: Path) -> None:
    if shutil.which(tool) is None:
        package = "aria2" if tool == "aria2c" else tool
        skip_or_fail(f"{tool} is not installed (apt-get install {package})")
    stack, alice, ids, samples = portal
    url = f"{stack.url}/files/{ids[name]}/download/"
    cookie = alice.session.cookies["sessionid"]
    result = subprocess.run(
        command(tool, url, cookie), cwd=directory, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    saved = sorted(path.name for path in directory.iterdir())
    assert saved == [saved_name(tool, name)]
    digest = hashlib.sha256((directory / saved[0]).read_bytes()).hexdigest()
    assert digest == samples[name].sha256


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("tool", TOOLS)
def test_a_real_client_saves_the_right_name_and_bytes(
    plain, tmp_path: Path, tool: str, name: str
) -> None:
    download_with(tool, plain, name, tmp_path)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("tool", TOOLS)
def test_a_real_client_saves_the_right_name_and_bytes_from_a_signed_url(
    signed, tmp_path: Path, tool: str, name: str
) -> None:
    download_with(tool, signed, name, tmp_path)


def test_aria2c_fetched_the_signed_url_in_segments(signed, tmp_path: Path) -> None:
    stack, alice, ids, samples = signed
    name = NAMES[0]
    download_with("aria2c", signed, name, tmp_path)
    log = (stack.stack.logs / "nginx-access.log").read_text().splitlines()
    ranged = [line for line in log if "/_signed/" in line and '" 206 ' in line and "aria2" in line]
    assert len(ranged) >= 3, "\n".join(log[-20:])


@pytest.mark.parametrize("name", NAMES)
def test_nginx_writes_the_header_django_writes(signed, plain, name: str) -> None:
    # Two builders of one header (files.delivery.headers and deploy/nginx.conf): they must agree.
    expected = content_disposition(as_attachment=True, filename=clean_filename(name))
    for stack, alice, ids, _ in (signed, plain):
        response = alice.session.get(
            f"{stack.url}/files/{ids[name]}/download/", stream=True, timeout=30
        )
        response.close()
        assert response.headers["Content-Disposition"] == expected
