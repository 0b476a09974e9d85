"""Tests that need a real binary or service skip without it, except in CI."""

from __future__ import annotations

import os

import pytest


def skip_or_fail(reason: str) -> None:
    """Skip on a developer's machine; with CI=true a skip would hide a gap, so fail."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: this test must run, not skip)", pytrace=False)
    pytest.skip(reason)


# For an integration test that brings its own databases (a scratch database, a
# private cluster), whatever DATABASE_URL says: CI's PostgreSQL pass would only
# repeat what its SQLite pass ran.
once_per_ci_run = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="brings its own PostgreSQL: runs once, in the SQLite pass",
)
