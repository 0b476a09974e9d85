"""How every door answers a script: whether it wants JSON, and the one shape of JSON errors.

The browser's form gets HTML; the uploader script, drop pages, the REST API
and tus clients get `{"errors": [{"field", "message", "code"}]}` with the
codes the intake raises, so a script can act on a code without parsing words.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, JsonResponse

# An error code that means "the request was too large", whatever door it came by.
TOO_LARGE_CODES = frozenset({"too_large"})


def wants_json(request: HttpRequest) -> bool:
    """True for a script that asks for JSON; a browser's form asks for HTML.

    A browser's Accept ends in */*, so "accepts JSON" would be true for it too:
    what counts is which of the two it prefers.
    """
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def error_list(errors: dict[str, list[ValidationError]]) -> list[dict[str, str | None]]:
    """`{"field", "message", "code"}` for each message of each field's ValidationErrors."""
    return [
        {"field": field, "message": message, "code": error.code}
        for field, field_errors in errors.items()
        for error in field_errors
        for message in error.messages
    ]


def json_errors(form: BaseForm) -> JsonResponse:
    """A refused form as JSON: 413 when something was too large, else 400."""
    errors = error_list(form.errors.as_data())
    too_large = any(error["code"] in TOO_LARGE_CODES for error in errors)
    return JsonResponse({"errors": errors}, status=413 if too_large else 400)
