"""Who gets what under /accounts/: every view against every kind of visitor, as a table.

Rows are views, columns are actors, each cell the status that actor gets.
`test_every_view_has_a_row` walks the URL configuration, so a new view in
`accounts:` fails the suite until someone writes down who may use it (the
files and links views have their table in files/tests/test_permissions.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import get_resolver

from accounts import tokens
from accounts.models import Token, User
from accounts.tests.otp import code, enable


@dataclass
class World:
    alice: User  # two-factor on
    token: Token  # alice's
    clients: dict[str, Client]


@pytest.fixture
def world(alice: User, bob: User, staff: User) -> World:
    device, _ = enable(alice)
    token, _ = tokens.create_token(alice, "laptop")
    two_factor = Client()
    two_factor.post("/accounts/login/", {"username": "alice", "password": "password"})
    assert (
        two_factor.post("/accounts/login/code/", {"code": code(device.bin_key)}).status_code == 302
    )
    password_only = Client()
    password_only.post("/accounts/login/", {"username": "alice", "password": "password"})
    clients = {"two-factor": two_factor, "password only": password_only, "anonymous": Client()}
    for name, user in (("user", bob), ("staff", staff)):
        clients[name] = Client()
        clients[name].force_login(user)
    return World(alice, token, clients)


@dataclass(frozen=True)
class Call:
    method: str
    path: Callable[[World], str]
    data: dict[str, str] | None = None


VIEWS: dict[str, tuple[str, Call]] = {
    "login": ("accounts:login", Call("GET", lambda w: "/accounts/login/")),
    "login code": ("accounts:login_code", Call("GET", lambda w: "/accounts/login/code/")),
    "wrong code": (
        "accounts:login_code",
        Call("POST", lambda w: "/accounts/login/code/", {"code": "000000"}),
    ),
    "signup": ("accounts:signup", Call("GET", lambda w: "/accounts/signup/")),
    "logout": ("accounts:logout", Call("POST", lambda w: "/accounts/logout/")),
    "profile": ("accounts:profile", Call("GET", lambda w: "/accounts/profile/")),
    "tokens": ("accounts:tokens", Call("GET", lambda w: "/accounts/tokens/")),
    "new token": (
        "accounts:token_create",
        Call("POST", lambda w: "/accounts/tokens/new/", {"name": "x"}),
    ),  # fmt: skip
    "revoke token": (
        "accounts:token_revoke",
        Call("POST", lambda w: f"/accounts/tokens/{w.token.pk}/revoke/"),
    ),
    "2fa page": ("accounts:two_factor", Call("GET", lambda w: "/accounts/2fa/")),
    "2fa setup": ("accounts:two_factor_setup", Call("POST", lambda w: "/accounts/2fa/setup/")),
    "2fa confirm": (
        "accounts:two_factor_confirm",
        Call("POST", lambda w: "/accounts/2fa/confirm/", {"code": "000000"}),
    ),
    "new codes": (
        "accounts:recovery_codes",
        Call("POST", lambda w: "/accounts/2fa/recovery-codes/", {"code": "000000"}),
    ),
    "2fa off": (
        "accounts:two_factor_disable",
        Call("POST", lambda w: "/accounts/2fa/disable/", {"code": "000000"}),
    ),
    "password": ("accounts:password_change", Call("GET", lambda w: "/accounts/password/")),
    "password done": (
        "accounts:password_changed",
        Call("GET", lambda w: "/accounts/password/done/"),
    ),
}

ACTORS = ("two-factor", "password only", "user", "staff", "anonymous")
# 302 from "password only" and "anonymous" is the way to the login page; from
# signed-in users it is the action's own redirect back to its page.
EXPECTED: dict[str, tuple[int, ...]] = {
    #                 2fa  pass user staf anon
    "login":         (302, 200, 302, 302, 200),
    "login code":    (302, 200, 302, 302, 302),
    "wrong code":    (302, 200, 302, 302, 302),
    "signup":        (200, 200, 200, 200, 200),
    "logout":        (302, 302, 302, 302, 302),
    "profile":       (200, 302, 200, 200, 302),
    "tokens":        (200, 302, 200, 200, 302),
    "new token":     (200, 302, 200, 200, 302),
    "revoke token":  (302, 302, 404, 404, 302),
    "2fa page":      (200, 302, 200, 200, 302),
    "2fa setup":     (302, 302, 200, 200, 302),
    "2fa confirm":   (302, 302, 302, 302, 302),
    "new codes":     (302, 302, 302, 302, 302),
    "2fa off":       (302, 302, 302, 302, 302),
    "password":      (200, 302, 200, 200, 302),
    "password done": (200, 302, 200, 200, 302),
}  # fmt: skip


def cells() -> list[tuple[str, str, int]]:
    assert EXPECTED.keys() == VIEWS.keys()
    return [
        (actor, view, status)
        for view, statuses in EXPECTED.items()
        for actor, status in zip(ACTORS, statuses, strict=True)
    ]


@pytest.mark.parametrize(("actor", "view", "expected"), cells())
def test_accounts_surface(world: World, actor: str, view: str, expected: int) -> None:
    call = VIEWS[view][1]
    client = world.clients[actor]
    if call.method == "GET":
        response = client.get(call.path(world))
    else:
        response = client.post(call.path(world), call.data or {})
    assert response.status_code == expected
    if actor == "password only" and expected == 302:
        assert response.url.startswith("/accounts/login/")
    # Nothing reached by a password alone changed alice's second factor or tokens.
    alice = User.objects.get(pk=world.alice.pk)
    if actor in ("password only", "anonymous", "user", "staff"):
        assert alice.two_factor
        assert Token.objects.filter(pk=world.token.pk, revoked__isnull=True).exists()


def test_every_view_has_a_row() -> None:
    _, resolver = get_resolver().namespace_dict["accounts"]
    names = {f"accounts:{key}" for key in resolver.reverse_dict if isinstance(key, str)}
    covered = {url_name for url_name, _ in VIEWS.values()}
    assert names == covered, f"add a row for {sorted(names - covered)}"
