"""Sign-in throttling behind the real front server: the client address is the one it saw.

curl signs in from chosen loopback addresses (127.0.0.2, 127.0.0.3: Linux
routes all of 127/8 to us), so nginx or Apache sees a client that is not the
proxy itself, while the client sends an X-Forwarded-For of its own choosing.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.availability import skip_or_fail
from tests.integration.support import PASSWORD, PortalStack

pytestmark = pytest.mark.integration

LIMIT = 5  # PORTAL_LOGIN_FAILURE_LIMIT's default


def curl_sign_in(
    stack: PortalStack,
    jar: Path,
    source: str,
    password: str,
    forwarded: str | None = None,
    username: str = "bob",
) -> int:
    """Sign in from `source` with curl; the status of the POST."""
    if shutil.which("curl") is None:
        skip_or_fail("curl is not installed (apt-get install curl)")
    url = f"{stack.url}/accounts/login/"
    base = [
        "curl",
        "--silent",
        "--interface",
        source,
        "--cookie",
        str(jar),
        "--cookie-jar",
        str(jar),
    ]
    subprocess.run([*base, "--output", "/dev/null", url], check=True, timeout=30)
    token = re.search(r"csrftoken\s+(\S+)", jar.read_text())
    assert token, jar.read_text()
    spoof = ["--header", f"X-Forwarded-For: {forwarded}"] if forwarded else []
    result = subprocess.run(
        [
            *base,
            *spoof,
            "--output",
            "/dev/null",
            "--write-out",
            "%{http_code}",
            "--referer",
            url,
            "--data-urlencode",
            f"username={username}",
            "--data-urlencode",
            f"password={password}",
            "--data-urlencode",
            f"csrfmiddlewaretoken={token.group(1)}",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return int(result.stdout)


def recorded_addresses(stack: PortalStack, username: str) -> set[str]:
    with sqlite3.connect(f"file:{stack.db_path}?mode=ro", uri=True) as db:
        query = "SELECT ip_address FROM axes_accessattempt WHERE username = ?"
        return {row[0] for row in db.execute(query, (username,))}


def test_a_client_cannot_escape_throttling_with_its_own_x_forwarded_for(
    stack: PortalStack, tmp_path: Path
) -> None:
    # A new address each time would be a new client, if Django believed the header.
    statuses = [
        curl_sign_in(stack, tmp_path / "jar", "127.0.0.2", "wrong", forwarded=f"198.51.100.{n}")
        for n in range(LIMIT + 1)
    ]
    assert statuses == [200] * (LIMIT - 1) + [429, 429]
    right = curl_sign_in(stack, tmp_path / "jar", "127.0.0.2", PASSWORD, forwarded="198.51.100.99")
    assert right == 429
    assert recorded_addresses(stack, "bob") == {"127.0.0.2"}

    # Not the proxy's address either: bob from another client signs in.
    assert curl_sign_in(stack, tmp_path / "other-jar", "127.0.0.3", PASSWORD) == 302


def test_a_client_on_the_proxys_own_address_cannot_pose_as_another(
    stack: PortalStack, tmp_path: Path
) -> None:
    # 127.0.0.1 is a trusted proxy address: were the client's header kept in
    # front of the proxy's entry, Django would read the spoofed one as the client.
    statuses = [
        curl_sign_in(
            stack, tmp_path / "jar", "127.0.0.1", "wrong", f"198.51.100.{n}", username="mallory"
        )
        for n in range(LIMIT + 1)
    ]
    assert statuses == [200] * (LIMIT - 1) + [429, 429]
    assert recorded_addresses(stack, "mallory") == {"127.0.0.1"}
