from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import tokens, twofactor
from accounts.models import Token, User

# django-otp's own admin pages would show staff each user's TOTP secret and
# QR code (enough to clone their second factor) and the recovery codes. Staff
# need only reset it: the "Reset two-factor sign-in" action below.
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "email",
        "staff",
        "is_active",
        "storage",
        "two_factor_on",
    ]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Storage", {"fields": ["quota"]}),
        ("Two-factor sign-in", {"fields": ["two_factor"]}),
    )
    readonly_fields = ["two_factor"]
    list_filter = [*BaseUserAdmin.list_filter, "two_factor"]
    actions = ["reset_two_factor"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # One join for the whole page instead of a query per row.
        users = super().get_queryset(request)
        return users.annotate(_storage_used=Coalesce("storage_usage__used", 0))

    @admin.action(description="Reset two-factor sign-in (lost phone and codes)",
                  permissions=["change"])  # fmt: skip
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Turns it off: the user signs in with the password alone and may set it up again."""
        count = 0
        for user in queryset.filter(two_factor=True):
            twofactor.disable(user)
            count += 1
        self.message_user(
            request, f"Reset two-factor sign-in for {count} user(s).", messages.SUCCESS
        )

    # Short headings (they do not wrap) and one column for used, quota and
    # share: at 1280 px, beside the filters, the last columns were cut off.
    @admin.display(description="staff", boolean=True, ordering="is_staff")
    def staff(self, user: User) -> bool:
        return user.is_staff

    @admin.display(description="2FA", boolean=True, ordering="two_factor")
    def two_factor_on(self, user: User) -> bool:
        return user.two_factor

    @admin.display(description="storage", ordering="_storage_used")
    def storage(self, user: User) -> str:
        used = user._storage_used  # type: ignore[attr-defined]  # annotated above
        quota = user.effective_quota()
        if not quota:
            return f"{filesizeformat(used)} of unlimited"
        return f"{filesizeformat(used)} of {filesizeformat(quota)} ({100 * used / quota:.0f} %)"


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    """Staff see every token and revoke one; the digest is neither shown nor editable.

    No adding (the secret could only be shown by the admin: `manage.py
    portal_token create` prints it) and no deleting (the revoked row is the trail).
    """

    list_display = ["name", "owner", "prefix", "created", "last_used", "read_only", "expires",
                    "revoked"]  # fmt: skip
    list_filter = ["read_only", ("revoked", admin.EmptyFieldListFilter), "created"]
    list_select_related = ["owner"]
    # A leaked token found by a scanner is looked up by its first characters.
    search_fields = ["owner__username", "name", "prefix"]
    # Everything read-only; the digest is not among them, so it is never on the page.
    readonly_fields = ["owner", "name", "prefix", "read_only", "created", "last_used",
                       "expires", "revoked"]  # fmt: skip
    actions = ["revoke_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Token | None = None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[Token]) -> None:
        live = queryset.filter(revoked__isnull=True)
        count = len(live)
        for token in live:
            tokens.revoke(token)
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)
