"""Folders as one ZIP through the real stacks (gunicorn behind nginx or Apache), local and S3.

The archive is checked by Python's zipfile and Info-ZIP's `unzip -t` (Debian
`unzip`); a Range in the middle is compared with the same slice of the whole,
and curl resumes a download cut in half.
On local storage only: a 5 GiB folder of sparse files (Zip64 sizes and
offsets), with the gunicorn workers' peak RSS under 100 MB. S3 objects stay
small (about 1 MiB in all): the session's SeaweedFS is shared.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from deploy.seaweedfs import SeaweedFS
from deploy.stack import ZIP_POOL_NICE
from tests.availability import skip_or_fail
from tests.integration.conftest import DEFAULT_LIMIT
from tests.integration.support import PortalStack, base_env, manage, require

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
GIB = 1024 * MIB

# Awkward on purpose: non-ASCII, emoji, URL and shell characters, quotes,
# leading dots, a name like a parent directory's with dots around it.
TREE = {
    "Ünïcode ✓ & spaces/résumé 東京 (1).txt": b"awkward " * 100,
    "Ünïcode ✓ & spaces/..dots..": b"dots",
    "Ünïcode ✓ & spaces/deeper/still deeper/emoji 😀.txt": b"\xf0\x9f\x98\x80" * 1000,
    'Ünïcode ✓ & spaces/a#b?c%20d "q".txt': b"url characters",
    "plain.bin": bytes(range(256)) * 2048,  # 512 KiB
    "empty.txt": b"",
}
EMPTY_FOLDERS = ("Empty", "Ünïcode ✓ & spaces/deeper/empty too")
ROOT = "Zip – Prüfung"

_BUILD = """
import json
from pathlib import Path
from django.core.files.uploadedfile import SimpleUploadedFile
from accounts.models import User
from files.folders import tree
from files.models import Folder
from files.sharing import grants
from files.uploads import intake

spec = json.loads(Path({spec_file!r}).read_text())
alice = User.objects.get(username="alice")
root = tree.create_folder(alice, None, spec["root"])
folders = {{"": root}}

def folder(path):
    if path not in folders:
        parent_path, _, name = path.rpartition("/")
        folders[path] = tree.create_folder(alice, folder(parent_path), name)
    return folders[path]

for path in spec["empty"]:
    folder(path)
for path, hex_content in spec["files"].items():
    place, _, name = path.rpartition("/")
    incoming = intake.describe_upload(SimpleUploadedFile(name, bytes.fromhex(hex_content)), name)
    intake.store_uploads(alice, [incoming], folder(place))
link, token = grants.create_link(root)
print(json.dumps({{"folder": str(root.pk), "token": token}}))
"""


def build_tree(portal: PortalStack, root: str) -> tuple[str, str]:
    """alice's folder `root` with TREE in it, through the intake; (folder id, link token)."""
    spec = {
        "root": root,
        "empty": list(EMPTY_FOLDERS),
        "files": {path: content.hex() for path, content in TREE.items()},
    }
    # In a file: the contents as an argument would pass the kernel's 128 KiB limit.
    spec_file = portal.root / "zip-tree.json"
    spec_file.write_text(json.dumps(spec))
    script = _BUILD.format(spec_file=str(spec_file))
    # The last line: the shell may say first what it imported.
    made = json.loads(manage(portal.manage_env, "shell", "-c", script).splitlines()[-1])
    return made["folder"], made["token"]


@dataclass
class Built:
    portal: PortalStack
    folder: str
    token: str

    def url(self) -> str:
        return f"{self.portal.url}/files/folders/{self.folder}/download/"


def expected_names(root: str) -> set[str]:
    names = {f"{root}/"}
    for path in [*TREE, *(f"{p}/" for p in EMPTY_FOLDERS)]:
        parts = path.rstrip("/").split("/")
        names |= {f"{root}/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts))}
        names.add(f"{root}/{path}")
    return names


def unzip_test(path: Path) -> str:
    if shutil.which("unzip") is None:
        skip_or_fail("Info-ZIP's unzip is not installed (Debian package unzip)")
    done = subprocess.run(["unzip", "-tq", str(path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def check_archive(built: Built, tmp_path: Path) -> None:
    alice = built.portal.login("alice")
    response = alice.session.get(built.url(), timeout=120)

    assert response.status_code == 200
    data = response.content
    assert response.headers["Content-Type"] == "application/zip"
    assert int(response.headers["Content-Length"]) == len(data)
    with zipfile.ZipFile(io.BytesIO(data)) as opened:
        assert opened.testzip() is None
        assert set(opened.namelist()) == expected_names(ROOT)
        for path, content in TREE.items():
            assert opened.read(f"{ROOT}/{path}") == content
    archive = tmp_path / "folder.zip"
    archive.write_bytes(data)
    assert "No errors detected" in unzip_test(archive)

    # A resumed download: the middle third, conditional on the archive it resumes.
    first, last = len(data) // 3, 2 * len(data) // 3
    part = alice.session.get(
        built.url(),
        headers={"Range": f"bytes={first}-{last}", "If-Range": response.headers["ETag"]},
        timeout=120,
    )
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes {first}-{last}/{len(data)}"
    assert part.content == data[first : last + 1]

    # A real client resuming a dropped download: curl -C - asks for the rest.
    if shutil.which("curl") is None:
        skip_or_fail("curl is not installed (Debian package curl)")
    resumed = tmp_path / "resumed.zip"
    resumed.write_bytes(data[: len(data) // 2])
    subprocess.run(
        ["curl", "-sS", "--fail", "-C", "-", "-o", str(resumed),
         "-H", f"Cookie: {alice.cookie_header()}", built.url()],
        check=True, timeout=120,
    )  # fmt: skip
    assert resumed.read_bytes() == data

    # The folder's public link, anonymously: the same bytes.
    public = requests.get(f"{built.portal.url}/s/{built.token}/zip/", timeout=120)
    assert public.status_code == 200
    assert hashlib.sha256(public.content).digest() == hashlib.sha256(data).digest()


@pytest.fixture(scope="module")
def local_built(stack: PortalStack) -> Built:
    return Built(stack, *build_tree(stack, ROOT))


@pytest.mark.parametrize("stack", ["nginx", "apache"], indirect=True)
def test_a_nested_folder_of_awkward_names_zips_and_resumes_on_local_storage(
    local_built: Built, tmp_path: Path
) -> None:
    check_archive(local_built, tmp_path)


@pytest.mark.parametrize("stack", ["nginx", "apache"], indirect=True)
def test_zips_are_sent_by_the_low_priority_pool_and_pages_by_the_other(
    local_built: Built,
) -> None:
    portal = local_built.portal
    stack = portal.stack
    alice = portal.login("alice")
    assert alice.session.get(local_built.url(), timeout=120).status_code == 200
    assert alice.session.get(f"{portal.url}/files/", timeout=30).status_code == 200
    zip_get = f"GET {local_built.url().removeprefix(portal.url)} "
    assert portal.gunicorn_log(zip_get, app_server="gunicorn-zip")
    assert portal.gunicorn_log("GET /files/ ", app_server="gunicorn")
    # Both written by now: neither went to the other pool.
    assert not portal.gunicorn_log(zip_get, 0, app_server="gunicorn")
    assert not portal.gunicorn_log("GET /files/ ", 0, app_server="gunicorn-zip")
    # nice -n adds to our own value: the pages keep it, the ZIPs' workers go lower.
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    for pid in stack.worker_pids("gunicorn"):
        assert os.getpriority(os.PRIO_PROCESS, pid) == ours
    for pid in stack.worker_pids("gunicorn-zip"):
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(ours + ZIP_POOL_NICE, 19)


@pytest.fixture(scope="module")
def s3_built(
    tmp_path_factory: pytest.TempPathFactory, static_root: Path, seaweedfs: SeaweedFS
) -> Iterator[Built]:
    require("nginx")
    bucket = "portal-zip"
    seaweedfs.create_bucket(bucket)
    root = tmp_path_factory.mktemp("s3-zip-stack")
    env = base_env(root, PORTAL_STATIC_ROOT=str(static_root), **seaweedfs.django_env(bucket))
    portal = PortalStack("nginx", root, env, DEFAULT_LIMIT, root / "media")
    portal.start()
    try:
        yield Built(portal, *build_tree(portal, ROOT))
    finally:
        portal.stack.stop()


def test_a_nested_folder_of_awkward_names_zips_and_resumes_on_s3(
    s3_built: Built, tmp_path: Path
) -> None:
    assert s3_built.portal.media_files() == set()  # the bytes are in the store
    check_archive(s3_built, tmp_path)


_SPARSE = """
import json, zlib
from pathlib import Path
from django.conf import settings
from accounts.models import User
from files import contract
from files.folders import tree
from files.models import UploadedFile

alice = User.objects.get(username="alice")
root = tree.create_folder(alice, None, "Five GiB")
zeros = bytes(64 * 1024 * 1024)
for name, size in {sizes!r}.items():
    row = UploadedFile(owner=alice, folder=root, name=name, size=size,
                       content_type="application/octet-stream", sha256="0" * 64)
    key = contract.storage_key(alice.pk, row.pk)
    path = Path(settings.MEDIA_ROOT) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as sparse:
        sparse.truncate(size)
    crc, left = 0, size
    while left:
        step = min(left, len(zeros))
        crc = zlib.crc32(zeros[:step], crc)
        left -= step
    row.crc32 = crc
    row.file.name = key
    row.save()
print(root.pk)
"""

_DELETE = """
from django.db import transaction
from files.models import Folder
with transaction.atomic():
    Folder.objects.get(pk={pk!r}).delete()
"""


def peak_rss(pid: int) -> int:
    """VmHWM of a process, in bytes: the most memory it has held since it started."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise LookupError(pid)


@pytest.mark.parametrize("stack", ["nginx"], indirect=True)
def test_a_five_gib_folder_zips_with_workers_under_100_mb(
    stack: PortalStack, tmp_path: Path
) -> None:
    sizes = {"large.bin": 4 * GIB + 512 * MIB, "second.bin": 512 * MIB, "small.txt": 0}
    folder = manage(stack.manage_env, "shell", "-c", _SPARSE.format(sizes=sizes)).splitlines()[-1]
    archive = tmp_path / "five.zip"
    try:
        alice = stack.login("alice")
        url = f"{stack.url}/files/folders/{folder}/download/"
        with alice.session.get(url, stream=True, timeout=600) as response:
            assert response.status_code == 200
            expected = int(response.headers["Content-Length"])
            with archive.open("wb") as out:
                for chunk in response.iter_content(4 * MIB):
                    out.write(chunk)
        assert archive.stat().st_size == expected > 5 * GIB
        peaks = [peak_rss(pid) for pid in stack.stack.worker_pids("gunicorn-zip")]
        assert max(peaks) < 100 * 1000 * 1000, peaks
        with zipfile.ZipFile(archive) as opened:
            infos = {info.filename: info for info in opened.infolist()}
            assert infos["Five GiB/large.bin"].file_size == sizes["large.bin"]
            assert infos["Five GiB/small.txt"].header_offset > 4 * GIB
        assert "No errors detected" in unzip_test(archive)
    finally:
        archive.unlink(missing_ok=True)
        manage(stack.manage_env, "shell", "-c", _DELETE.format(pk=folder))
    assert not [p for p in stack.media_files() if p.stat().st_size > GIB]
