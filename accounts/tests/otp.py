"""What an authenticator app does, for tests: the code for a secret at some time step."""

from __future__ import annotations

import time
from base64 import b32decode

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from accounts.models import User


def code(key: bytes, steps: int = 0) -> str:
    """The 6-digit code for `key`, `steps` time steps (30 s each) from now."""
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps
    return f"{totp.token():06d}"


def code_from_secret(secret: str, steps: int = 0) -> str:
    """As an app given the secret typed from the page (base32 in groups of four)."""
    return code(b32decode(secret.replace(" ", "")), steps)


def enable(user: User) -> tuple[TOTPDevice, list[str]]:
    """Turns two-factor on for `user` as the set-up page does: the device and recovery codes.

    The confirming code is then forgotten (as if it were minutes ago), so that
    the current and next steps' codes are unused for the test.
    """
    device = twofactor.pending_device(user)
    codes = twofactor.confirm(user, device, code(device.bin_key))
    assert codes is not None
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    return device, codes
