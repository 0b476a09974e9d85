"""Sign-in throttling per client address, on top of django-axes' per (username, address) count.

Axes locks a (username, address) pair out after PORTAL_LOGIN_FAILURE_LIMIT
failures; one address trying many usernames (password spraying) would get
that many guesses for every username. This handler also counts every failure
from the address, whatever the username, in axes' own table (shared by all
processes and app servers), and treats the address as locked out once it
reaches PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT within the cool-off.

Axes has one failure limit for all its lockout parameters, so the address
count cannot simply be added to AXES_LOCKOUT_PARAMETERS: the address's sum
would then be held to the per-account limit of 5, and an office behind one
NAT would lock itself out with a few typos.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold  # type: ignore[import-untyped]
from axes.handlers.database import AxesDatabaseHandler  # type: ignore[import-untyped]
from axes.helpers import get_failure_limit  # type: ignore[import-untyped]
from axes.models import AccessAttempt  # type: ignore[import-untyped]
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def address_failures(address: str | None, request: HttpRequest | None = None) -> int:
    """Failed sign-ins from `address` within the cool-off, for every username."""
    if not address:
        return 0
    recent = AccessAttempt.objects.filter(
        ip_address=address, attempt_time__gte=get_cool_off_threshold(request)
    )
    return int(recent.aggregate(total=Sum("failures_since_start"))["total"] or 0)


def address_locked(request: HttpRequest) -> bool:
    limit = settings.PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT
    address = getattr(request, "axes_ip_address", None)
    return bool(limit) and address_failures(address, request) >= limit


class AddressAwareHandler(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """Axes' count for the pair, raised to its limit when the address is over its own.

        Both places axes compares with its limit go through here: the check
        before a password is looked at, and the failure that reaches it.
        """
        failures = int(super().get_failures(request, credentials))
        if address_locked(request):
            return max(failures, int(get_failure_limit(request, credentials)))
        return failures
