"""A short `make load`: a few clients for a few seconds while workers die and PostgreSQL restarts.

The long run (50 clients, 60 s) is `make load`; its numbers are in docs/performance.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load import LoadRun, MiB, report, standard_faults
from tests.availability import skip_or_fail
from tests.integration.support import require
from tests.integration.test_app_servers import redis_unavailable
from tests.tooling import PrivatePostgres

pytestmark = pytest.mark.integration

SECONDS = 8


def test_a_short_load_with_faults_answers_only_clear_503s_and_loses_nothing(
    tmp_path: Path,
) -> None:
    require("nginx")
    for reason in (PrivatePostgres.unavailable(), redis_unavailable()):
        if reason:
            skip_or_fail(reason)
    run = LoadRun(tmp_path, users=3, workers=2, fault_file_size=24 * MiB)
    with run.running():
        results = run.go(clients=4, seconds=SECONDS, faults=standard_faults(run, SECONDS, 1.0))

    summary = report(results)
    assert results.errors() == [], summary
    assert results.problems == [], summary
    assert all(fault.result for fault in results.faults), summary
    assert len(results.uploads) > 0, summary
