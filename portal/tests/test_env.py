"""portal.env: every reader refuses a value it does not understand, naming the variable."""

from __future__ import annotations

import pytest

from portal.env import EnvError, envbool, envint, envlist
from portal.tests.test_settings import run_django


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("Yes", True), (" ON ", True)]
    + [("0", False), ("false", False), ("No", False), ("off", False), ("", False)],
)
def test_envbool_reads_the_usual_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("PORTAL_FLAG", value)
    assert envbool("PORTAL_FLAG") is expected


def test_envbool_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("PORTAL_FLAG", raising=False)
    assert envbool("PORTAL_FLAG", default=True) is True


@pytest.mark.parametrize("value", ["ture", "enabled", "2", "y e s", "falsee"])
def test_envbool_refuses_anything_else(monkeypatch, value):
    monkeypatch.setenv("PORTAL_HTTPS", value)
    with pytest.raises(EnvError, match=r"^PORTAL_HTTPS="):
        envbool("PORTAL_HTTPS")


@pytest.mark.parametrize(("value", "expected"), [("60", 60), (" 0 ", 0), ("+5", 5), ("", 7)])
def test_envint_reads_whole_numbers(monkeypatch, value, expected):
    monkeypatch.setenv("PORTAL_NUMBER", value)
    assert envint("PORTAL_NUMBER", 7) == expected


@pytest.mark.parametrize("value", ["2GiB", "1e6", "1.5", "sixty", "1_000", "0x10"])
def test_envint_refuses_what_is_not_a_whole_number(monkeypatch, value):
    monkeypatch.setenv("PORTAL_MAX_UPLOAD_SIZE", value)
    with pytest.raises(EnvError, match=r"^PORTAL_MAX_UPLOAD_SIZE="):
        envint("PORTAL_MAX_UPLOAD_SIZE", 1)


def test_envint_refuses_a_number_below_its_minimum(monkeypatch):
    monkeypatch.setenv("PORTAL_SIGNED_URL_TTL", "0")
    with pytest.raises(EnvError, match="at least 1"):
        envint("PORTAL_SIGNED_URL_TTL", 60, minimum=1)
    monkeypatch.setenv("PORTAL_DEFAULT_QUOTA", "-1")
    with pytest.raises(EnvError, match="PORTAL_DEFAULT_QUOTA"):
        envint("PORTAL_DEFAULT_QUOTA", 0)


def test_envlist_splits_on_commas(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", " a.example , b.example ")
    assert envlist("ALLOWED_HOSTS", []) == ["a.example", "b.example"]


@pytest.mark.parametrize("value", ["a.example b.example", "a.example,,b.example", "a.example,"])
def test_envlist_refuses_spaces_inside_and_empty_items(monkeypatch, value):
    monkeypatch.setenv("ALLOWED_HOSTS", value)
    with pytest.raises(EnvError, match=r"^ALLOWED_HOSTS="):
        envlist("ALLOWED_HOSTS", [])


def test_a_typo_in_a_setting_stops_django_from_starting(tmp_path):
    result = run_django("print('started')", {"PORTAL_HTTPS": "ture"}, tmp_path)
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "EnvError: PORTAL_HTTPS='ture'" in result.stderr
