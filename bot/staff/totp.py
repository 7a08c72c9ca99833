"""Time-based one-time codes (RFC 6238, pyotp) and the QR code that carries an enrolment to an
authenticator app (segno, as inline SVG: no image host, no script).

Codes are 6 digits for 30-second time steps, the defaults every authenticator app uses. A code
of the step before or after the server's is accepted too (DRIFT_STEPS), for a phone whose clock
is a little off; which step matched is returned so that the caller can refuse it a second time.
"""
from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno

ISSUER = "ETP staff console"
DRIFT_STEPS = 1  # ±1 step: a code is good for about 90 seconds around its own 30
DIGITS = 6


def new_secret() -> str:
    """A random base32 secret of 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as an inline <svg> element (dark modules on white, a quiet zone)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=4, dark="#000", light="#fff")


def spaced(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


def matching_step(secret: str, typed: str, now: datetime) -> int | None:
    """The time step whose code is `typed` (spaces ignored), within the drift window; else None."""
    code = "".join(typed.split())
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    found = None
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):  # every candidate compared: no early exit
        if hmac.compare_digest(totp.generate_otp(step + offset), code) and found is None:
            found = step + offset
    return found
