"""The users admin, and the first superuser made from the environment."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.tests.conftest import AddFile

CHANGELIST = "/admin/accounts/user/"


def test_it_lists_storage_used(alice: User, admin_client: Client, add_file: AddFile) -> None:
    add_file(alice, 1024)
    add_file(alice, 1024)
    response = admin_client.get(CHANGELIST, {"q": "alice"})
    assert response.status_code == 200
    [row] = response.context["cl"].result_list
    assert row == alice
    html = response.content.decode()
    assert '<td class="field-storage">2.0\xa0KB of unlimited</td>' in html


def test_it_shows_the_effective_quota(alice: User, admin_client: Client) -> None:
    alice.quota = 1024**2
    alice.save()
    html = admin_client.get(CHANGELIST, {"q": "alice"}).content.decode()
    assert '<td class="field-storage">0\xa0bytes of 1.0\xa0MB (0 %)</td>' in html


def test_it_sorts_by_storage_used(
    alice: User, bob: User, admin_client: Client, add_file: AddFile
) -> None:
    add_file(alice, 10)
    add_file(bob, 20)
    response = admin_client.get(CHANGELIST, {"o": "-5"})  # storage, descending
    usernames = [user.username for user in response.context["cl"].result_list]
    assert usernames.index("bob") < usernames.index("alice")


def test_its_changelist_runs_constant_queries(
    alice: User, admin_client: Client, add_file: AddFile
) -> None:
    add_file(alice, 1)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CHANGELIST)
    for i in range(10):
        user = User.objects.create_user(f"user{i}", password="password")
        add_file(user, i + 1)
        add_file(user, i + 2)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 12
    assert len(many) == len(few)


def test_createsuperuser_reads_the_environment(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long admin passphrase")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "root@example.org")
    call_command("createsuperuser", interactive=False, verbosity=0)
    user = User.objects.get(username="root")
    assert user.is_superuser
    assert user.is_staff
    assert user.email == "root@example.org"
    assert user.check_password("a long admin passphrase")
    assert user.quota is None

    client = Client()
    assert client.login(request=HttpRequest(), username="root", password="a long admin passphrase")
    assert client.get("/admin/").status_code == 200
