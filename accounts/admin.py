from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "email",
        "is_staff",
        "is_active",
        "storage_used",
        "quota_display",
        "quota_used",
    ]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Storage", {"fields": ["quota"]}))

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # One join for the whole page instead of a query per row.
        users = super().get_queryset(request)
        return users.annotate(_storage_used=Coalesce("storage_usage__used", 0))

    @admin.display(description="storage used", ordering="_storage_used")
    def storage_used(self, user: User) -> str:
        return filesizeformat(user._storage_used)  # type: ignore[attr-defined]  # annotated above

    @admin.display(description="quota", ordering="quota")
    def quota_display(self, user: User) -> str:
        quota = user.effective_quota()
        return filesizeformat(quota) if quota else "unlimited"

    @admin.display(description="quota used")
    def quota_used(self, user: User) -> str:
        quota = user.effective_quota()
        if not quota:
            return "—"
        return f"{100 * user._storage_used / quota:.0f} %"  # type: ignore[attr-defined]
