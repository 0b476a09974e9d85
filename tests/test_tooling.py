"""The one environment scrubber knows every variable the settings read."""

from __future__ import annotations

import re
from pathlib import Path

from tests.tooling import is_foreign, scrubbed_env

SETTINGS = Path(__file__).resolve().parents[1] / "portal" / "settings.py"
# os.environ.get("NAME"...) and the typed readers envbool("NAME"...), envint(...), ...
_READ = re.compile(r"""(?:os\.environ\.get|env[a-z]+)\(\s*["']([A-Z][A-Z0-9_]*)["']""")


def test_it_scrubs_every_variable_the_settings_read() -> None:
    names = set(_READ.findall(SETTINGS.read_text()))

    assert "DATABASE_URL" in names  # the pattern finds them at all
    assert sorted(name for name in names if not is_foreign(name)) == []


def test_it_keeps_the_rest_and_applies_overrides(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_STORAGE", "s3")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not for a test stack")
    monkeypatch.setenv("HOME", "/home/someone")

    env = scrubbed_env(PORTAL_MEDIA_ROOT="/srv/test-media")

    assert "PORTAL_STORAGE" not in env
    assert "AWS_SECRET_ACCESS_KEY" not in env
    assert env["HOME"] == "/home/someone"
    assert env["PORTAL_MEDIA_ROOT"] == "/srv/test-media"
