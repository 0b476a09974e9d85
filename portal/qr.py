"""QR codes as inline SVG drawn on the server (segno): no script, nothing from elsewhere.

Used for the two-factor set-up page's `otpauth://` URI and a new public
link's address, so a phone can take either from the screen.
"""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(data: str, *, title: str) -> SafeString:
    """`data` as an SVG QR code; `title` names it for screen readers (segno escapes it)."""
    code = segno.make(data, error="m")
    # Dark modules on white whatever the page's colour scheme: a scanner needs the contrast.
    svg: str = code.svg_inline(scale=4, border=2, dark="#000", light="#fff", title=title)
    return mark_safe(svg)  # noqa: S308  # segno's own markup: paths, and the escaped title
