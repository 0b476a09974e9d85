"""A short `make load`: a few clients for a few seconds while workers die, PostgreSQL
restarts and the S3 store stops.

The long run (50 clients, 60 s) is `make load`; its numbers are in docs/performance.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load import LoadRun, MiB, report, standard_faults
from deploy import seaweedfs
from deploy.seaweedfs import SeaweedFS
from tests.availability import once_per_ci_run, skip_or_fail
from tests.integration.support import require
from tests.integration.test_app_servers import redis_unavailable
from tests.tooling import PrivatePostgres

pytestmark = [pytest.mark.integration, pytest.mark.faults, once_per_ci_run]

SECONDS = 10


def test_a_short_load_with_faults_answers_only_clear_refusals_and_loses_nothing(
    tmp_path: Path,
) -> None:
    require("nginx")
    for reason in (PrivatePostgres.unavailable(), redis_unavailable(), seaweedfs.unavailable()):
        if reason:
            skip_or_fail(reason)
    # A store of its own: freezing the session's store would upset the S3 tests after it.
    with SeaweedFS(tmp_path / "seaweedfs") as store:
        run = LoadRun(
            tmp_path, store=store, bucket=store.bucket, users=3, workers=2, fault_file_size=16 * MiB
        )
        with run.running():
            faults = standard_faults(run, SECONDS, 1.0)
            results = run.go(clients=4, seconds=SECONDS, faults=faults)

    summary = report(results)
    assert results.errors() == [], summary
    assert results.problems == [], summary
    assert [fault.name for fault in results.faults if fault.result] == [
        "kill mid-upload",
        "kill mid-download",
        "restart PostgreSQL",
        "stop S3",
    ], summary
    assert results.uploads, summary
