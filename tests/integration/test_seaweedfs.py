"""The SeaweedFS fixture itself: one identity, and nothing for anonymous callers."""

from __future__ import annotations

import pytest
import requests

from deploy.seaweedfs import SeaweedFS

pytestmark = pytest.mark.integration


def test_it_stores_under_the_identity(seaweedfs: SeaweedFS) -> None:
    seaweedfs.create_bucket("fixture-check")
    client = seaweedfs.client()
    client.put_object(Bucket="fixture-check", Key="u/1/probe", Body=b"abc")

    assert seaweedfs.keys("fixture-check") == {"u/1/probe"}
    body = client.get_object(Bucket="fixture-check", Key="u/1/probe")["Body"].read()
    assert body == b"abc"


def test_it_refuses_anonymous_reads_and_writes(seaweedfs: SeaweedFS) -> None:
    url = f"{seaweedfs.endpoint_url}/{seaweedfs.bucket}/u/1/anonymous"

    assert requests.put(url, data=b"x", timeout=10).status_code == 403
    assert requests.get(url, timeout=10).status_code == 403
    listing = requests.get(f"{seaweedfs.endpoint_url}/{seaweedfs.bucket}", timeout=10)
    assert listing.status_code == 403
