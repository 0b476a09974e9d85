"""Real stacks for the integration tests: gunicorn behind nginx or Apache.

The configs come from deploy/ through deploy.stack, as for `make serve`. A
stack runs in subprocesses, so it has its own SQLite database (pytest-django's
test database is invisible to them), migrated and given users by manage.py.
Stacks and samples are session-scoped: each is built once, the 200 MiB file too.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from deploy.stack import SERVERS, Server
from tests.integration.support import PortalStack, base_env, manage, require
from tests.seaweed import seaweedfs  # noqa: F401 - one store for the session, S3 tests use it
from tests.tooling import PortalClient, Sample

MIB = 1024 * 1024
DEFAULT_LIMIT = 2 * 1024**3  # PORTAL_MAX_UPLOAD_SIZE's default
SMALL_LIMIT = 50 * MIB
BIG = "two-hundred-mib.bin"
# Names that break naive headers and URLs: spaces, #, ?, %, quotes, non-ASCII.
ODD_NAMES = ("rapport d’été 2026.pdf", "日本語.txt", 'a#b?c%20d "q".txt')
SIZES = {"empty.bin": 0, "five-mib.bin": 5 * MIB, BIG: 200 * MIB} | dict.fromkeys(ODD_NAMES, 4096)


def _start(
    server: Server,
    root: Path,
    static_root: Path,
    max_upload_size: int,
    media_root: Path,
    worker: bool = False,
    **env_overrides: str,
) -> PortalStack:
    require(server)
    env = base_env(root, PORTAL_STATIC_ROOT=str(static_root), **env_overrides)
    portal = PortalStack(server, root, env, max_upload_size, media_root, worker)
    portal.start()
    return portal


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """collectstatic once; every stack serves /static/ from here."""
    root = tmp_path_factory.mktemp("collectstatic")
    env = base_env(root)
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    return Path(env["PORTAL_STATIC_ROOT"])


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Sample]:
    directory = tmp_path_factory.mktemp("samples")
    return {name: Sample.write(directory, name, size) for name, size in SIZES.items()}


@pytest.fixture(scope="session", params=SERVERS)
def stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    static_root: Path,
) -> Iterator[PortalStack]:
    """The production-like stack with the default 2 GiB upload limit, and its task worker."""
    server: Server = request.param
    root = tmp_path_factory.mktemp(f"{server}-stack")
    portal = _start(server, root, static_root, DEFAULT_LIMIT, root / "media", worker=True)
    yield portal
    portal.stack.stop()


@pytest.fixture(scope="session", params=SERVERS)
def small_stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    static_root: Path,
) -> Iterator[PortalStack]:
    """A 50 MiB upload limit, and a media root whose path has a space in it."""
    server: Server = request.param
    root = tmp_path_factory.mktemp(f"{server}-small-stack")
    portal = _start(server, root, static_root, SMALL_LIMIT, root / "media files")
    yield portal
    portal.stack.stop()


@pytest.fixture(scope="session")
def signed_stack(
    tmp_path_factory: pytest.TempPathFactory, static_root: Path
) -> Iterator[PortalStack]:
    """nginx with PORTAL_SIGNED_URL_SECRET: /download/ answers 302 to a signed URL."""
    root = tmp_path_factory.mktemp("nginx-signed-stack")
    portal = _start(
        "nginx",
        root,
        static_root,
        DEFAULT_LIMIT,
        root / "media",
        worker=True,
        PORTAL_SIGNED_URL_SECRET=secrets.token_urlsafe(32),
    )
    yield portal
    portal.stack.stop()


@pytest.fixture(scope="session")
def signed_samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Sample]:
    """A real PNG (previewable), names plain, non-ASCII and quoted, and 5 MiB for ranges."""
    directory = tmp_path_factory.mktemp("signed-samples")
    samples = {
        name: Sample.write(directory, name, size)
        for name, size in {
            "notes.bin": 4096,
            "rapport d’été 2026.pdf": 4096,
            'say "hi" 50%.bin': 4096,
            "five-mib.bin": 5 * MIB,
        }.items()
    }
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    png = directory / "pic.png"
    png.write_bytes(buffer.getvalue())
    digest = hashlib.sha256(buffer.getvalue()).hexdigest()
    samples["pic.png"] = Sample("pic.png", png, png.stat().st_size, digest)
    return samples


@pytest.fixture(scope="session")
def signed_uploaded(signed_stack: PortalStack, signed_samples: dict[str, Sample]) -> dict[str, str]:
    """Every signed sample uploaded by alice on the signed stack: {name: file id}."""
    alice = signed_stack.login("alice")
    response = alice.upload(*signed_samples.values())
    assert response.status_code == 302, response.text[:2000]
    return {name: alice.file_id(name) for name in signed_samples}


@pytest.fixture(scope="session")
def alice(stack: PortalStack) -> PortalClient:
    return stack.login("alice")


@pytest.fixture(scope="session")
def bob(stack: PortalStack) -> PortalClient:
    return stack.login("bob")


@pytest.fixture(scope="session")
def uploaded(stack: PortalStack, alice: PortalClient, samples: dict[str, Sample]) -> dict[str, str]:
    """Every sample uploaded by alice: {name: file id}.

    The big file goes alone; the others in one request, as a person selecting
    several files would send them.
    """
    big = samples[BIG]
    others = [sample for sample in samples.values() if sample is not big]
    for batch in ([big], others):
        response = alice.upload(*batch)
        assert response.status_code == 302, response.text[:2000]
        assert response.headers["Location"] == "/files/"
    return {name: alice.file_id(name) for name in samples}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """On a failure, show what gunicorn and the front server logged: a 500 explains itself."""
    report = yield
    if report.failed and call.when == "call":
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, PortalStack):
                for name in ("gunicorn.out", "gunicorn-error.log", f"{value.server}-error.log"):
                    log = value.stack.logs / name
                    if log.exists():
                        tail = "\n".join(log.read_text(errors="replace").splitlines()[-60:])
                        report.sections.append((f"{value.server} stack: {name}", tail))
    return report
