"""The second step of signing in: every staff account, whatever its role, has a second factor
(TOTP, `bot/staff/totp.py`). The secret is stored encrypted with the server key (a `*_enc`
column, so `etp-bot keys rotate` re-encrypts it) and never logged.

After the right password a session is half signed in (`StaffSession.stage`) and may open only
its step's pages: "password" (a new password, after an admin's reset), then "enrol" (scan the QR
code, confirm with one code) when the account has no second factor yet, else "code".

A code is accepted once: its time step is claimed by one conditional UPDATE (later than the
last step accepted), so a code seen over a shoulder, or sent twice at once, does not sign in
again. Every code tried counts towards the password's lockout (`accounts.count_attempt`).
"""
from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import func, literal, or_, select, update

from bot.core.crypto import Secrets
from bot.core.models.base import UTCDateTime
from bot.core.models.cases import StaffUser
from bot.staff import accounts, totp

CODE, ENROL, NEW_PASSWORD = "code", "enrol", "password"


class Outcome(Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"  # too many failures: the half-signed-in session must end


def first_step(user: StaffUser) -> str:
    """The step a half-signed-in session of `user` has to do now."""
    if user.temporary_until is not None:
        return NEW_PASSWORD
    return ENROL if user.totp_enrolled_at is None else CODE


async def enrolment_secret(db, secrets: Secrets, user_id: int) -> tuple[str, str]:
    """(secret, email) of the account's enrolment: a new secret the first time, the same one on
    every later visit until it is confirmed (a reload shows the QR code already scanned)."""
    async with db.session() as s:
        await s.execute(update(StaffUser)
                        .where(StaffUser.id == user_id, StaffUser.totp_enrolled_at.is_(None),
                               StaffUser.totp_secret_enc.is_(None))
                        .values(totp_secret_enc=secrets.encrypt(totp.new_secret()))
                        .execution_options(synchronize_session=False))
        row = (await s.execute(select(StaffUser.totp_secret_enc, StaffUser.email)
                               .where(StaffUser.id == user_id, StaffUser.totp_enrolled_at.is_(None)))).first()
    if row is None or row.totp_secret_enc is None:
        raise LookupError("this account is not enrolling a second factor")
    return secrets.decrypt(row.totp_secret_enc), row.email


async def check_code(db, secrets: Secrets, user_id: int, typed: str, now: datetime, *, enrolling: bool) -> Outcome:
    """Check a code from the member's app: the enrolled secret's (`enrolling=False`) or the one
    being enrolled. Counted like a password attempt first; a right code, not used before, resets
    the count, records the sign-in and (enrolling) makes the secret the account's second factor."""
    async with db.session() as s:
        counted = await accounts.count_attempt(s, user_id, now)
    if counted is None:
        return Outcome.LOCKED
    async with db.session() as s:
        user = await s.get(StaffUser, user_id)
        enrolled = user is not None and user.totp_enrolled_at is not None
        step = None
        if user is not None and user.active and user.totp_secret_enc and enrolled != enrolling:
            step = totp.matching_step(secrets.decrypt(user.totp_secret_enc), typed, now)
        claimed = step is not None and (await s.execute(
            update(StaffUser)
            .where(StaffUser.id == user_id, StaffUser.totp_secret_enc == user.totp_secret_enc,
                   or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step))
            .values(totp_last_step=step, failed_logins=0, locked_until=None, last_login_at=now,
                    totp_enrolled_at=func.coalesce(StaffUser.totp_enrolled_at, literal(now, UTCDateTime())))
            .execution_options(synchronize_session=False))).rowcount == 1
    if claimed:
        return Outcome.OK
    return Outcome.LOCKED if counted >= accounts.MAX_FAILURES else Outcome.WRONG
