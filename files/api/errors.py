"""The one shape of an API error: `{"errors": [{"field", "message", "code"}]}`.

DRF's own refusals (401, 403, 404, 405, 429, a body that does not parse)
and the rooms' typed ValidationErrors come out alike, with the codes the
uploader uses (`too_large`, `over_quota`, `bad_name`, `name_taken`, ...), so
a script acts on a code, never on words.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.http import TOO_LARGE_CODES

# DRF's names for "not about one field".
NOT_A_FIELD = ("non_field_errors", "detail")
# A name already held where the request would put one: 409, as WebDAV answers it.
CONFLICT_CODES = frozenset({"name_taken"})
# How long a client should wait before trying the store again (the uploader says the same).
STORE_RETRY_AFTER = 60


class Refused(exceptions.APIException):
    """A rule of a room said no: its ValidationError, reported against `field` (None: the request).

    413 when something was too large, as the uploader answers; 409 when a
    name is taken; 400 otherwise.
    """

    default_code = "invalid"

    def __init__(self, field: str | None, error: ValidationError) -> None:
        self.errors = [
            {"field": field, "message": message, "code": one.code or "invalid"}
            for one in error.error_list
            for message in one.messages
        ]
        self.status_code = status_for(self.errors)
        super().__init__(self.errors[0]["message"] if self.errors else "Refused.")


class StoreDown(exceptions.APIException):
    """The object store did not take the bytes: nothing was saved (503, Retry-After)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = (
        "The file store did not answer in time, so nothing was saved. Try again in a minute."
    )
    default_code = "store_unavailable"


def form_refused(errors: dict[str, list[ValidationError]]) -> Refused:
    """A Django form's errors (with their codes) as one Refused."""
    refused = Refused(None, ValidationError([]))
    refused.errors = [
        {"field": None if field == "__all__" else field, "message": message, "code": e.code}
        for field, field_errors in errors.items()
        for e in field_errors
        for message in e.messages
    ]
    refused.status_code = status_for(refused.errors)
    return refused


def status_for(errors: list[dict[str, Any]]) -> int:
    codes = {e["code"] for e in errors}
    if codes & TOO_LARGE_CODES:
        return status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    if codes & CONFLICT_CODES:
        return status.HTTP_409_CONFLICT
    return status.HTTP_400_BAD_REQUEST


def _flatten(details: Any, field: str | None = None) -> Iterator[dict[str, Any]]:
    if isinstance(details, dict) and set(details) == {"message", "code"}:
        yield {"field": field, "message": str(details["message"]), "code": str(details["code"])}
    elif isinstance(details, dict):
        for key, value in details.items():
            name = None if key in NOT_A_FIELD else str(key)
            yield from _flatten(value, name if field is None or name is None else f"{field}.{name}")
    elif isinstance(details, list):
        for item in details:
            yield from _flatten(item, field)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (headers such as WWW-Authenticate and Retry-After), our body."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()  # not the model's name, for an id that is not yours
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, ValidationError):
        exc = Refused(None, exc)
    elif isinstance(exc, RequestDataTooBig):
        # Django's own limit on a body read whole: JSON here, not the HTML 400 page.
        exc = BodyTooLarge()
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = exceptions.ParseError(str(exc), code="too_many_parts")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Refused):
        errors = exc.errors
    elif isinstance(exc, exceptions.APIException):
        errors = list(_flatten(exc.get_full_details()))
    else:  # pragma: no cover - DRF answers only APIExceptions
        errors = []
    response.data = {"errors": errors}
    if isinstance(exc, StoreDown):
        response["Retry-After"] = str(STORE_RETRY_AFTER)
    return response


class BodyTooLarge(exceptions.APIException):
    """A JSON body past DATA_UPLOAD_MAX_MEMORY_SIZE: refused before it is read (413)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"
