"""The session's SeaweedFS, as a pytest fixture.

tests/integration/conftest.py imports it, so any test below tests/integration
just asks for ``seaweedfs``; elsewhere, import it into a conftest (once: each
import would start its own store). One `weed server -s3` for the whole run
(about 4 s to start), stopped by PID at the end. Each stack that must see only
its own objects takes its own bucket with ``seaweedfs.create_bucket(name)``
and ``seaweedfs.django_env(name)``; the default bucket is ``portal``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deploy.seaweedfs import SeaweedFS, unavailable
from tests.availability import skip_or_fail


def require_seaweedfs() -> None:
    reason = unavailable()
    if reason:
        skip_or_fail(reason)


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    require_seaweedfs()
    store = SeaweedFS(tmp_path_factory.mktemp("seaweedfs"))
    store.start()
    yield store
    store.stop()
