"""Threat: Range headers meant to crash, over-read or tie up the Python download path.

Only PORTAL_SENDFILE=django parses Range in Python (files/delivery/ranges.py); nginx
and Apache parse their own. Whatever the header, the answer is the whole file
(200), the slice asked for (206) or 416, with the right bytes.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from files.delivery.ranges import RangeNotSatisfiable, parse_range
from files.models import UploadedFile
from files.tests.utils import body

CONTENT = b"0123456789" * 100  # the `upload` fixture's bytes
CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/1000")


def assert_consistent(response) -> None:
    """A 200 with everything, a 206 with exactly its Content-Range, or a bodiless 416."""
    assert response.status_code in {200, 206, 416}, response.status_code
    if response.status_code == 200:
        assert body(response) == CONTENT
    elif response.status_code == 206:
        match = CONTENT_RANGE.fullmatch(response["Content-Range"])
        assert match, response["Content-Range"]
        first, last = int(match.group(1)), int(match.group(2))
        assert 0 <= first <= last < len(CONTENT)
        assert body(response) == CONTENT[first : last + 1]
        assert response["Content-Length"] == str(last - first + 1)
    else:
        assert response["Content-Range"] == "bytes */1000"


@pytest.mark.parametrize(
    "header",
    [
        "bytes=",
        "bytes=-",
        "bytes=--1",
        "bytes=1-2-3",
        "bytes=a-b",
        "bytes=0x10-0x20",
        "bytes=\u0661-\u0662",  # Arabic-Indic digits: \d in a str pattern would take them
        "bytes=5-1",
        "bytes=0-0,1-1,2-2",
        "bytes=" + ",".join(f"{n}-{n}" for n in range(5000)),
        "bytes=0-" + "9" * 5000,
        "bytes=" + "9" * 5000 + "-",
        "bytes=-" + "9" * 5000,
        "bytes=-0",
        "bytes=1000-",
        "bytes=999999999999999999999-",
        "items=0-10",
        "BYTES=0-10",
        "bytes = 0-10",
        "bytes=0-10\x00",
        "\x00",
    ],
)
def test_a_malformed_or_absurd_range_gets_a_clean_answer(
    alice_client: Client, upload: UploadedFile, header: str
) -> None:
    assert_consistent(alice_client.get(f"/files/{upload.pk}/download/", HTTP_RANGE=header))


def test_a_range_is_no_way_round_the_owner_check(bob_client: Client, upload: UploadedFile) -> None:
    response = bob_client.get(f"/files/{upload.pk}/download/", HTTP_RANGE="bytes=0-1")
    assert response.status_code == 404


range_headers = st.one_of(
    st.text(max_size=60),
    st.builds(
        "bytes={}-{}".format,
        st.one_of(st.just(""), st.integers(-5, 2000).map(str), st.text("0123456789", max_size=30)),
        st.one_of(st.just(""), st.integers(-5, 2000).map(str), st.text("0123456789", max_size=30)),
    ),
)


@given(range_headers, st.integers(0, 10**12))
def test_the_range_parser_raises_nothing_but_its_own_error(header: str, size: int) -> None:
    try:
        result = parse_range(header, size)
    except RangeNotSatisfiable:
        return
    if result is not None:
        first, last = result
        assert 0 <= first <= last < size


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(range_headers)
def test_any_range_header_gets_a_consistent_answer(
    alice_client: Client, upload: UploadedFile, header: str
) -> None:
    if any(ch in header for ch in "\r\n"):
        header = header.replace("\r", "").replace("\n", "")  # not a header a server would pass on
    assert_consistent(alice_client.get(f"/files/{upload.pk}/download/", HTTP_RANGE=header))
