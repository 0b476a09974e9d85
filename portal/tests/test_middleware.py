"""An unread request body is read to its end (unparsed), within a size and time budget."""

from __future__ import annotations

import io
import time

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from portal import middleware
from portal.middleware import DrainUnreadBody


class CountingStream(io.BytesIO):
    """A request body that says how much of it was read, optionally slowly."""

    def __init__(self, data: bytes, delay: float = 0.0) -> None:
        super().__init__(data)
        self.delay = delay

    def read(self, size: int | None = -1) -> bytes:
        time.sleep(self.delay)
        return super().read(size)


def post(data: dict[str, object], delay: float = 0.0) -> tuple[HttpRequest, CountingStream]:
    """A multipart POST as the test client encodes it, its body behind a CountingStream."""
    request = RequestFactory().post("/files/upload/", data)
    stream = CountingStream(request._stream.read(), delay)
    request._stream = stream
    return request, stream


def refuse(request: HttpRequest) -> HttpResponse:
    """A view that answers without reading the body, as the login redirect does."""
    return HttpResponse(status=302)


def test_a_body_nobody_read_is_read_to_its_end_without_being_parsed() -> None:
    request, stream = post({"file": io.BytesIO(b"x" * 300_000)})

    response = DrainUnreadBody(refuse)(request)

    assert response.status_code == 302
    assert stream.tell() == int(request.META["CONTENT_LENGTH"]) > 300_000
    assert not hasattr(request, "_files")  # never parsed


def test_a_body_the_view_read_is_left_alone() -> None:
    request, _ = post({"name": "kept"})

    def parse(request: HttpRequest) -> HttpResponse:
        return HttpResponse(request.POST["name"])

    assert DrainUnreadBody(parse)(request).content == b"kept"


def test_a_body_above_the_upload_limit_is_not_read(settings) -> None:
    settings.PORTAL_MAX_UPLOAD_SIZE = 1000
    request, stream = post({"file": io.BytesIO(b"x" * (1000 + middleware.MULTIPART_HEADROOM))})

    DrainUnreadBody(refuse)(request)

    assert stream.tell() == 0


def test_a_slow_body_is_read_only_for_the_time_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(middleware, "DRAIN_SECONDS", 0.2)
    request, stream = post({"file": io.BytesIO(b"x" * (100 * middleware.CHUNK))}, delay=0.05)
    started = time.monotonic()

    DrainUnreadBody(refuse)(request)

    assert time.monotonic() - started < 1
    assert 0 < stream.tell() < int(request.META["CONTENT_LENGTH"])
