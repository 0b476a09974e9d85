"""Two-factor sign-in: an authenticator app (TOTP, RFC 6238) and ten single-use recovery codes.

The rows are django-otp's: a `TOTPDevice` (its secret, the last time step
used, a back-off after wrong codes) and a `StaticDevice` holding the recovery
codes as `StaticToken`s, each deleted when used. django-otp brings tested
RFC 6238 arithmetic, the replay guard and the back-off; its views, forms and
middleware are not used: sign-in is two steps of our own (accounts/views.py)
and `User.two_factor`, kept here beside the devices, lets the check on every
request read the user row already loaded (accounts/middleware.py).

A code is accepted once: the device keeps the time step of the last code it
took, and only a later step passes (`last_t`). One step either side of the
server's clock is accepted (`tolerance`), for a phone a few seconds off. The
device row is locked while a code is checked, so two requests carrying the
same code at once cannot both pass.

Every function takes the user; none decides whether the caller may act for
them (the views do: a signed-in user acts on their own account, staff reset
another's through the admin).
"""

from __future__ import annotations

import re
from base64 import b32encode

from django.db import transaction
from django.utils.safestring import SafeString
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from portal import qr

RECOVERY_CODES = 10
# Codes people type: 6 digits from the app, or a recovery code (8 letters and
# digits), with any spaces or dashes they copied along.
_SEPARATORS = re.compile(r"[\s-]+")
_TOTP = re.compile(r"[0-9]{6}")
_RECOVERY = re.compile(r"[a-z2-7]{8}")
DEVICE_NAME = "authenticator"


def is_enabled(user: User) -> bool:
    return user.two_factor


def pending_device(user: User) -> TOTPDevice:
    """A new secret for `user` to scan, not yet in force: confirm() turns it on.

    Each call replaces the previous unconfirmed secret, so a QR code shown on
    a page left open cannot be confirmed later by someone who photographed it.
    """
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def unconfirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def secret_text(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> SafeString:
    """The `otpauth://` URI as an inline SVG, drawn here: the secret never leaves the server."""
    return qr.qr_svg(device.config_url, title="QR code for your authenticator app")


def confirm(user: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Turns two-factor sign-in on if `code` is current for `device`: the new recovery codes.

    None for a wrong code (the device stays unconfirmed). The code is used
    up: it cannot then sign in.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if device.confirmed or not _totp_ok(device, code):
            return None
        # One authenticator at a time: a new one replaces the old.
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        User.objects.filter(pk=user.pk).update(two_factor=True)
        user.two_factor = True
    return codes


def verify(user: User, code: str) -> bool:
    """True if `code` is a current authenticator code or an unused recovery code of `user`.

    Either is used up by passing. A wrong code also counts in django-otp's
    back-off for that device (the caller counts it for django-axes).
    """
    typed = _normalise(code)
    with transaction.atomic():
        if _TOTP.fullmatch(typed):
            device = _locked(TOTPDevice, user)
            return device is not None and _totp_ok(device, typed)
        if _RECOVERY.fullmatch(typed):
            static = _locked(StaticDevice, user)
            return static is not None and bool(static.verify_token(typed))
    return False


def verify_authenticator(user: User, code: str) -> bool:
    """True if `code` is a current code from the authenticator app (recovery codes do not count)."""
    typed = _normalise(code)
    with transaction.atomic():
        device = _locked(TOTPDevice, user)
        return device is not None and bool(_TOTP.fullmatch(typed)) and _totp_ok(device, typed)


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def regenerate_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    with transaction.atomic():
        return _new_recovery_codes(user)


def disable(user: User) -> None:
    """Turns two-factor sign-in off: every device and recovery code of `user` goes.

    Also what staff do from the admin for someone who lost their phone and codes.
    """
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        User.objects.filter(pk=user.pk).update(two_factor=False)
        user.two_factor = False


def _normalise(code: str) -> str:
    return _SEPARATORS.sub("", code or "").lower()[:32]


def _locked(model: type[TOTPDevice] | type[StaticDevice], user: User):  # type: ignore[no-untyped-def]
    return model.objects.select_for_update().filter(user=user, confirmed=True).first()


def _totp_ok(device: TOTPDevice, code: str) -> bool:
    typed = _normalise(code)
    return bool(_TOTP.fullmatch(typed)) and bool(device.verify_token(typed))


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def format_code(code: str) -> str:
    """A recovery code as shown: two groups of four, easier to copy by hand."""
    return f"{code[:4]}-{code[4:]}"
