"""A guess limit holds across gunicorn workers and app servers (issue 17, item 4).

Two app servers of two workers each behind one nginx, one SQLite database and
no Redis: the link-password limit (10 wrong guesses per client per quarter
hour) counts in the database cache they all share, so the 11th wrong guess is
refused whichever process it reaches. The same stack with the cache in each
process's memory (CACHE_URL=locmem://) lets every guess through: the control
that shows what the shared store prevents.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from files.sharing.public.base import GUESSES_PER_CLIENT
from tests.integration.conftest import DEFAULT_LIMIT
from tests.integration.support import PortalStack, base_env, manage, require

pytestmark = pytest.mark.integration

MAKE_LINK = """
from django.core.files.uploadedfile import SimpleUploadedFile
from accounts.models import User
from files.sharing import grants
from files.uploads import intake
alice = User.objects.get(username="alice")
incoming = intake.describe_upload(SimpleUploadedFile("a.txt", b"a"), "a.txt")
[stored] = intake.store_uploads(alice, [incoming])
print(grants.create_link(stored, password="right")[1])
"""
GUESSES = GUESSES_PER_CLIENT + 2


def start(root: Path, static_root: Path, **env: str) -> PortalStack:
    require("nginx")
    portal = PortalStack(
        "nginx",
        root,
        base_env(root, PORTAL_STATIC_ROOT=str(static_root), **env),
        DEFAULT_LIMIT,
        root / "media",
        app_servers=2,
    )
    portal.start()
    return portal


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, static_root: Path) -> Iterator[PortalStack]:
    portal = start(tmp_path_factory.mktemp("limits-shared"), static_root)
    try:
        yield portal
    finally:
        portal.stack.stop()


def wrong_guesses(portal: PortalStack) -> list[int]:
    token = manage(portal.manage_env, "shell", "-c", MAKE_LINK).splitlines()[-1]
    session = requests.Session()
    page = f"{portal.url}/s/{token}/"
    assert session.get(page, timeout=30).status_code == 200
    statuses = []
    for _ in range(GUESSES):
        response = session.post(
            f"{page}unlock/",
            data={"password": "wrong", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            headers={"Referer": page},
            allow_redirects=False,
            timeout=30,
        )
        statuses.append(response.status_code)
    return statuses


def test_the_eleventh_wrong_guess_is_refused_whichever_process_it_reaches(
    shared: PortalStack,
) -> None:
    statuses = wrong_guesses(shared)
    assert statuses == [403] * GUESSES_PER_CLIENT + [429] * 2
    # The guesses did reach both app servers (nginx's round robin).
    for app_server in ("gunicorn", "gunicorn-2"):
        assert shared.gunicorn_log("/unlock/", app_server=app_server)


def test_a_cache_in_each_process_would_let_them_all_through(
    tmp_path_factory: pytest.TempPathFactory, static_root: Path
) -> None:
    portal = start(tmp_path_factory.mktemp("limits-locmem"), static_root, CACHE_URL="locmem://")
    try:
        assert wrong_guesses(portal) == [403] * GUESSES
        # And gunicorn said so when it started (portal.W001).
        log = (portal.stack.logs / "gunicorn-error.log").read_text()
        assert "portal.W001" in log
    finally:
        portal.stack.stop()
