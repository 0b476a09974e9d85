"""files.quota: usage for the bars, and `portal_quota`, which recomputes it from storage."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from files.integrity import recount
from files.tests.conftest import MakeFile
from files.tests.utils import stored_path
from files.uploads import quota


def test_usage_counts_free_space_and_percent(alice: User, make_file: MakeFile) -> None:
    alice.quota = 200
    alice.save()
    make_file(alice, "a.bin", b"x" * 50)
    usage = quota.usage(alice)
    assert (usage.used, usage.quota, usage.free, usage.percent) == (50, 200, 150, 25)
    assert usage.nearly_full_at == 180


def test_an_unlimited_quota_is_never_full(alice: User, make_file: MakeFile) -> None:
    make_file(alice, "a.bin", b"x" * 50)
    usage = quota.usage(alice)
    assert (usage.quota, usage.free, usage.percent) == (None, None, 0)


def test_the_upload_page_shows_the_bar(alice: User, alice_client: Client) -> None:
    alice.quota = 1024
    alice.save()
    html = alice_client.get("/files/upload/").content.decode()
    assert 'id="quota-meter"' in html
    assert "Using 0\xa0bytes of 1.0\xa0KB" in html


def test_portal_quota_reports_no_drift(alice: User, make_file: MakeFile) -> None:
    make_file(alice, "a.bin", b"x" * 50)
    out = StringIO()
    call_command("portal_quota", stdout=out)
    assert "Every user's recorded usage matches storage." in out.getvalue()


def test_portal_quota_reports_a_changed_and_a_missing_file(
    alice: User, bob: User, make_file: MakeFile
) -> None:
    changed = make_file(alice, "a.bin", b"x" * 50)
    missing = make_file(alice, "b.bin", b"y" * 10)
    make_file(bob, "fine.bin", b"z")
    stored_path(changed.file.name).write_bytes(b"x" * 80)
    stored_path(missing.file.name).unlink()
    out = StringIO()
    with pytest.raises(CommandError, match="1 user\\(s\\) drift"):
        call_command("portal_quota", stdout=out)
    report = out.getvalue()
    assert "alice: recorded 60 bytes (60\xa0bytes), stored 80 bytes, difference +20" in report
    assert f"missing from storage: {missing.file.name}" in report
    assert "bob" not in report
    [drift] = recount.recompute()
    assert (drift.user, drift.recorded, drift.stored, drift.missing) == (
        alice,
        60,
        80,
        [missing.file.name],
    )


def test_portal_quota_reports_users_over_quota(alice: User, make_file: MakeFile) -> None:
    make_file(alice, "a.bin", b"x" * 50)
    alice.quota = 10  # lowered by staff after the upload
    alice.save()
    out = StringIO()
    with pytest.raises(CommandError, match="1 over quota"):
        call_command("portal_quota", "alice", stdout=out)
    assert "alice: over quota, 50\xa0bytes of 10\xa0bytes" in out.getvalue()


def test_portal_quota_refuses_an_unknown_user(db: None) -> None:
    with pytest.raises(CommandError, match="No such user: nobody"):
        call_command("portal_quota", "nobody")
