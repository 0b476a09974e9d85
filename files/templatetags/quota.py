"""{% quota_bar user %}: used / total with a bar, on the upload page, drop zone and profile."""

from __future__ import annotations

from django import template

from accounts.models import User
from files.uploads import quota

register = template.Library()


@register.inclusion_tag("files/_quota_bar.html")
def quota_bar(user: User) -> dict[str, object]:
    return {"usage": quota.usage(user)}
