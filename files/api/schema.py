"""The OpenAPI schema: drf-spectacular's, with the error answers every operation can give.

Each operation lists its refusals with the one error body, so a client
generated from the schema (and schemathesis) knows a 404 is an answer, not
a surprise.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from files.api.serializers import ErrorsSerializer

ALWAYS = {
    "401": "No token, or a wrong, revoked or expired one.",
    "403": "A read-only token tried to write.",
    "404": "Nothing of that id that you may reach.",
    "429": "Too many failed attempts from this address (Retry-After).",
}
WITH_INPUT = {"400": "The request broke a rule; each error has a code."}
CHANGES = {"409": "The name is taken there by a file or folder (code name_taken)."}
UPLOAD = {
    "413": "The file is larger than allowed (code too_large).",
    "503": "The file store did not answer; nothing was saved (Retry-After).",
}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """How the schema names files.api.auth's scheme: HTTP Bearer with a personal access token."""

    target_class = "files.api.auth.BearerTokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ptk_ and 43 characters, from /accounts/tokens/",
        }


class PortalSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        errors = dict(ALWAYS)
        if self.method in ("POST", "PATCH", "GET"):
            errors.update(WITH_INPUT)  # a GET's query parameters can be wrong too
        if self.method == "PATCH" or (self.method == "POST" and "/folders" in self.path):
            errors.update(CHANGES)
        if self.method == "POST" and self.path.rstrip("/").endswith("/files"):
            errors.update(UPLOAD)
        for code, description in errors.items():
            if code not in responses:
                body = self._get_response_for_code(ErrorsSerializer, code)
                body["description"] = description
                responses[code] = body
        return responses
