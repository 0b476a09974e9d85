"""The front server never sends a request on a connection gunicorn may be closing.

gunicorn closes an idle connection at its keep-alive timeout. A front server
that reused it just then would meet a reset, and its client a 502 (Apache's
"error reading status line from remote server", seen once in CI on litmus's
DELETE). nginx opens a connection per request; Apache reuses one only within
a second (ttl=1), well inside gunicorn's keep-alive (2 s in these stacks).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from tests.integration.support import PortalStack

pytestmark = pytest.mark.integration

ESTABLISHED = "01"  # include/net/tcp_states.h
IDLE = 1.3  # past Apache's ttl (1 s), well short of gunicorn's keep-alive (2 s)


def peers_of(port: int) -> set[int]:
    """The remote ports of the TCP connections to this local port open both ways."""
    peers = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == ESTABLISHED:
                peers.add(int(fields[2].rsplit(":", 1)[1], 16))
    return peers


def settled(port: int, timeout: float = 5.0) -> set[int]:
    """The connections still open to this port once the ones gunicorn times out have gone."""
    deadline = time.monotonic() + timeout
    while (peers := peers_of(port)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return peers


def test_a_connection_to_gunicorn_idle_past_a_second_is_not_used_again(
    stack: PortalStack,
) -> None:
    gunicorn = stack.stack.gunicorn_port
    # Connections earlier requests left (in any of Apache's processes) are
    # closed by gunicorn's keep-alive; then every one open is this test's.
    assert settled(gunicorn) == set()
    with requests.Session() as client:  # one kept-alive connection: one Apache process
        for _ in range(3):
            assert client.get(stack.url + "/accounts/login/", timeout=30).status_code == 200
        time.sleep(IDLE)
        idle = peers_of(gunicorn)
        if stack.server == "apache":
            # Pooled, and not yet closed by gunicorn: what a reuse would race.
            assert idle, "Apache kept no connection to gunicorn; nothing was tested"

        assert client.get(stack.url + "/accounts/login/", timeout=30).status_code == 200

        assert not idle & peers_of(gunicorn)
