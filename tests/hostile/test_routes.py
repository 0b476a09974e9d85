"""Threat: a method, an id or a user that a view was not written for.

The routes come from the URLconf itself, so a view added later is tried here
without anyone listing it: every method on every route, as the anonymous
visitor, the stranger charlie and the owner alice. Never a 500; a stranger's
answer about alice's file is the answer about a file that does not exist.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from accounts.models import User
from files.models import UploadedFile
from files.tests.conftest import MakeFile

METHODS = ("get", "head", "options", "post", "put", "patch", "delete", "trace")
CLEAN = {200, 204, 301, 302, 400, 403, 404, 405}
LOGIN_PAGES = ("/accounts/login/?next=", "/admin/login/?next=")
UUID_SAMPLE = "{file}"  # filled with a real file's id per test
# A sample value for each converter type and each regex group the URLconf uses.
CONVERTER_SAMPLES = {"uuid": UUID_SAMPLE, "int": "1", "str": "1", "slug": "x", "path": "1"}
GROUP_SAMPLES = {"app_label": "files", "url": "no-such-page/"}
NOT_UUIDS = [
    "1",
    "not-a-uuid",
    "..",
    "%2e%2e",
    "00000000-0000-0000-0000-00000000000g",
    "00000000000000000000000000000001",
    "{00000000-0000-0000-0000-000000000001}",
    "00000000-0000-0000-0000-000000000001%00",
    "x" * 5000,
]


def _routes(patterns: list, prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def concrete(route: str) -> str:
    """A path that resolves to `route`, with sample values in its slots."""

    def converter(match: re.Match[str]) -> str:
        return CONVERTER_SAMPLES[match.group(1) or "str"]

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: GROUP_SAMPLES[m.group(1)], route)
    path = re.sub(r"<(?:(\w+):)?\w+>", converter, path)
    return "/" + path.replace("^", "").replace("$", "")


ROUTES = sorted(set(_routes(get_resolver().url_patterns)))


def test_every_route_has_a_sample_path() -> None:
    # A new converter or regex group needs a sample above, not a skipped route.
    for route in ROUTES:
        path = concrete(route).replace(UUID_SAMPLE, str(uuid.UUID(int=1)))
        assert resolve(path).route == route.replace("^", ""), (route, path)


def request(client: Client, method: str, path: str):
    return getattr(client, method)(path)


def answered_cleanly(response, path: str) -> bool:
    if response.status_code == 401:
        # The API's answer to a caller without a token (it ignores sessions); no other
        # route asks for credentials.
        return path.startswith("/api/") and response["WWW-Authenticate"].startswith("Bearer")
    return response.status_code in CLEAN


def is_public(path: str) -> bool:
    return not getattr(resolve(path).func, "login_required", True)


@pytest.mark.parametrize("route", ROUTES)
def test_every_method_on_every_route_is_answered_cleanly(
    route: str,
    client: Client,
    alice: User,
    alice_client: Client,
    charlie_client: Client,
    make_file: MakeFile,
) -> None:
    target = make_file(alice)
    path = concrete(route).replace(UUID_SAMPLE, str(target.pk))
    nowhere = concrete(route).replace(UUID_SAMPLE, str(uuid.uuid4()))
    for method in METHODS:
        anonymous = request(client, method, path)
        assert answered_cleanly(anonymous, path), (method, path, anonymous.status_code)
        if not is_public(path):
            assert anonymous.status_code == 302, (method, path)
            assert anonymous["Location"].startswith(LOGIN_PAGES), anonymous["Location"]

        stranger = request(charlie_client, method, path)
        assert answered_cleanly(stranger, path), (method, path, stranger.status_code)
        if UUID_SAMPLE in concrete(route):
            # Indistinguishable from a file that does not exist: no existence leak.
            assert stranger.status_code == request(charlie_client, method, nowhere).status_code

        # Nothing a stranger or an anonymous visitor sent changed alice's file.
        assert UploadedFile.objects.filter(pk=target.pk, name="notes.txt").exists(), method

    if route.startswith("admin/"):
        return  # staff only: to alice, who is not staff, the admin is what it is to charlie
    for method in METHODS:
        # A fresh file each time where the route takes one: DELETE may remove it.
        own = make_file(alice) if UUID_SAMPLE in concrete(route) else target
        mine = concrete(route).replace(UUID_SAMPLE, str(own.pk))
        owner = request(alice_client, method, mine)
        assert answered_cleanly(owner, mine), (method, mine, owner.status_code)


@pytest.mark.parametrize("route", [r for r in ROUTES if "<uuid:" in r])
@pytest.mark.parametrize("bad_id", NOT_UUIDS)
def test_an_id_that_is_not_a_uuid_is_404(alice_client: Client, route: str, bad_id: str) -> None:
    path = concrete(route).replace(UUID_SAMPLE, bad_id)
    assert alice_client.get(path).status_code == 404
    assert alice_client.post(path).status_code == 404


@pytest.mark.parametrize("route", [r for r in ROUTES if "<uuid:" in r])
def test_another_users_uuid_is_404_as_a_stranger_and_as_bob(
    route: str,
    alice: User,
    bob_client: Client,
    charlie_client: Client,
    make_file: MakeFile,
) -> None:
    target = make_file(alice)
    path = concrete(route).replace(UUID_SAMPLE, str(target.pk))
    nowhere = concrete(route).replace(UUID_SAMPLE, str(uuid.uuid4()))
    for other in (bob_client, charlie_client):
        # A POST-only view answers 405 to any GET: the same for a missing id, so no leak.
        seen = other.get(path).status_code
        assert seen in {404, 405}
        assert seen == other.get(nowhere).status_code
        stolen = other.post(path, {"name": "stolen.txt"}).status_code
        assert stolen in {404, 405}
        assert stolen == other.post(nowhere, {"name": "stolen.txt"}).status_code
    target.refresh_from_db()
    assert target.name == "notes.txt"
