"""JSON bodies with a bound: DRF reads them whole into memory, Django's form limit does not apply.

Django refuses a body past DATA_UPLOAD_MAX_MEMORY_SIZE when it reads
`request.body`; DRF's JSONParser reads the request's stream when nothing
has read it yet, so a signed-in script could otherwise make a worker hold a
body of any size nginx lets through. Either way the answer is 413 `too_large`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.parsers import JSONParser

from files.api.errors import BodyTooLarge


class BoundedJSONParser(JSONParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None and limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                raise BodyTooLarge()
        return super().parse(stream, media_type, parser_context)
