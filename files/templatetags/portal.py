"""Template helpers for the file pages: icons, thumbnails and dates.

Simple tags rather than {% include %}: they run for every row of a page of
files, and a tag costs a fraction of an include (on a 25-row folder page
the includes were more than half of the server time).
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.templatetags.static import static
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import localtime

from files.models import UploadedFile
from files.previews import thumbnails

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


def icon_for(content_type: str) -> str:
    """The icon symbol for a file of `content_type`; "file" when none fits better."""
    return _ICONS.get(content_type) or _ICONS.get(content_type.partition("/")[0], "file")


@register.simple_tag
def icon(name: str) -> SafeString:
    """A generic icon from the sprite, hidden from screen readers (the name beside it speaks)."""
    return format_html(
        '<svg class="icon icon-{}" aria-hidden="true" focusable="false">'
        '<use href="{}#{}"></use></svg>',
        name,
        static("icons.svg"),
        name,
    )


@register.simple_tag
def thumb(stored: object) -> SafeString:
    """The file's thumbnail where it has one (files.previews.thumbnails), else the icon of its type.

    The URL is signed for nginx where it verifies them: the page showing it
    has just checked that its reader may see the file.
    """
    if isinstance(stored, UploadedFile) and stored.thumbnail:
        url = thumbnails.thumbnail_url(stored)
        return format_html('<img class="thumb" src="{}" alt="" loading="lazy">', url)
    return icon(icon_for(getattr(stored, "content_type", "")))


@register.simple_tag
def when(moment: datetime) -> SafeString:
    """ "3 minutes ago", with the exact date as a tooltip and in machine-readable form."""
    local = localtime(moment)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        format_date(local, "c"),
        format_date(local, r"Y-m-d H:i e (\U\T\CO)"),
        naturaltime(moment),
    )
