"""Template helpers for the file pages: which icon a file gets."""

from __future__ import annotations

from django import template

register = template.Library()

# content type (or its first half) -> a symbol in static/icons.svg
_ICONS = {
    "image": "image",
    "audio": "audio",
    "video": "video",
    "text": "text",
    "application/pdf": "pdf",
    "application/zip": "archive",
    "application/gzip": "archive",
    "application/x-tar": "archive",
    "application/x-7z-compressed": "archive",
    "application/json": "text",
    "application/xml": "text",
}


@register.filter
def icon(content_type: str) -> str:
    """The icon symbol for a file of `content_type`; "file" when none fits better."""
    return _ICONS.get(content_type) or _ICONS.get(content_type.partition("/")[0], "file")
