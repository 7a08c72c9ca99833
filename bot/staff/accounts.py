"""Staff accounts: argon2 password hashes, sign-in with lockout after repeated failures, and
browser sessions whose random id is stored only as a hash."""
from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, delete, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import UserError
from bot.core.models.base import UTCDateTime
from bot.core.models.cases import ROLES, StaffSession, StaffUser

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=12)  # absolute: a session ends 12 h after sign-in whatever happens
IDLE_TIMEOUT = timedelta(minutes=30)  # a session unused this long ends (ETP_STAFF_IDLE_MINUTES)
STEP_TTL = timedelta(minutes=10)  # a half-signed-in session (password given, second step to do)
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 takes any length; a megabyte "password" only costs us time

_hasher = PasswordHasher()
# verified when the email is unknown, so that a wrong email takes as long as a wrong password
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def normalize_email(email: str) -> str:
    return email.strip().lower()


def plausible(email: str, password: str) -> bool:
    """Worth checking at all (PostgreSQL refuses NUL characters; huge inputs cost time)."""
    return 0 < len(email) <= 254 and 0 < len(password) <= MAX_PASSWORD and "\x00" not in email


def check_new_account(email: str, role: str, password: str) -> None:
    if "@" not in email or len(email) > 254 or not email.isprintable() or " " in email:
        raise UserError(f"not an email address: {email!r}")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    check_password(password, email)


MIN_STRENGTH = 3  # zxcvbn's score, 0-4: 3 is "safely unguessable" (about 10**8 guesses or more)


def check_password(password: str, email: str = "") -> None:
    """Refuse short passwords, and common or guessable ones (zxcvbn: dictionaries of common
    passwords, names and words, keyboard patterns, repeats, sequences, dates, and the email)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters (and at most {MAX_PASSWORD})")
    from zxcvbn import zxcvbn

    local, _, domain = email.partition("@")
    hints = [w for w in (local, domain, *domain.split("."), "etp", "staff") if w]
    verdict = zxcvbn(password[:100], user_inputs=hints)  # the estimate costs time on huge inputs
    if verdict["score"] < MIN_STRENGTH:
        why = verdict["feedback"].get("warning") or "It would be easy to guess."
        tips = " ".join(verdict["feedback"].get("suggestions") or [])
        raise UserError(f"this password is too easy to guess: {why} {tips} A few uncommon words "
                        "together, or a password manager's random password, will do.".replace("  ", " "))


async def create_account(session: AsyncSession, email: str, role: str, password: str) -> StaffUser:
    email = normalize_email(email)
    check_new_account(email, role, password)
    taken = await session.execute(select(StaffUser.id).where(StaffUser.email == email))
    if taken.first() is not None:
        raise UserError(f"a staff account {email} already exists")
    user = StaffUser(email=email, role=role, password_hash=await asyncio.to_thread(_hasher.hash, password))
    session.add(user)
    await session.flush()
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def authenticate(db, email: str, password: str, now: datetime) -> StaffUser | None:
    """The account when the password is right and the account is neither locked nor disabled.
    This is the first of two steps: the session it opens is half signed in until the second
    factor is given (`two_factor.check_code`), whose success resets the count.

    Every attempt on an existing account is counted before the password is checked, by one
    UPDATE committed on its own (atomic on SQLite and PostgreSQL): the MAX_FAILURES-th attempt
    since the last success locks the account for LOCKOUT, and attempts on a locked account are
    refused without checking the password. So parallel guesses cannot outrun the count: at most
    MAX_FAILURES passwords (or codes: the second step counts the same way) are ever checked per
    lockout period. A right password gives its attempt back (the second step counts its own)."""
    address = normalize_email(email)
    async with db.session() as s:
        user = (await s.execute(select(StaffUser).where(StaffUser.email == address))).scalar_one_or_none()
        counted = await count_attempt(s, user.id, now) if user is not None else None
    ok = await asyncio.to_thread(_verify, user.password_hash if user else _DUMMY_HASH, password)
    if user is None or counted is None or not ok or not user.active:
        return None
    async with db.session() as s:
        await _give_back_attempt(s, user.id)
        user = await s.get(StaffUser, user.id)
        if user is None:
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = await asyncio.to_thread(_hasher.hash, password)
    return user


async def _give_back_attempt(session: AsyncSession, user_id: int) -> None:
    """Take back one counted attempt (a right password); a lock stays only while the count left
    still reaches MAX_FAILURES."""
    left = StaffUser.failed_logins - 1
    await session.execute(
        update(StaffUser).where(StaffUser.id == user_id, StaffUser.failed_logins > 0)
        .values(failed_logins=left, locked_until=case((left >= MAX_FAILURES, StaffUser.locked_until), else_=None))
        .execution_options(synchronize_session=False))


async def count_attempt(session: AsyncSession, user_id: int, now: datetime) -> int | None:
    """Count one sign-in attempt; the count (this attempt included), or None when locked."""
    lock_over = StaffUser.locked_until.is_not(None) & (StaffUser.locked_until <= now)
    count = case((lock_over, 1), else_=func.coalesce(StaffUser.failed_logins, 0) + 1)
    row = (await session.execute(
        update(StaffUser)
        .where(StaffUser.id == user_id, or_(StaffUser.locked_until.is_(None), StaffUser.locked_until <= now))
        .values(failed_logins=count,
                locked_until=case((count >= MAX_FAILURES, literal(now + LOCKOUT, UTCDateTime())), else_=None))
        .returning(StaffUser.failed_logins)
        .execution_options(synchronize_session=False)
    )).first()
    return None if row is None else row[0]


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass
class SignedIn:
    user: StaffUser
    session: StaffSession


def _expiry(created_at: datetime, now: datetime, idle: timedelta) -> datetime:
    return min(created_at + SESSION_TTL, now + idle)


async def start_session(session: AsyncSession, user: StaffUser, now: datetime, idle: timedelta = IDLE_TIMEOUT,
                        stage: str | None = None) -> str:
    """A new browser session; returns the cookie value (never stored). It ends after `idle`
    without a request, and SESSION_TTL after sign-in in any case. With a `stage` it is half
    signed in (the password was right, that step is still to do): it ends STEP_TTL later unless
    `finish_sign_in` makes it whole."""
    token = secrets.token_urlsafe(32)
    expires = _expiry(now, now, idle) if stage is None else now + STEP_TTL
    session.add(StaffSession(id_hash=_hash_token(token), staff_id=user.id, csrf_token=secrets.token_urlsafe(32),
                             created_at=now, expires_at=expires, stage=stage))
    await session.execute(delete(StaffSession).where(StaffSession.expires_at < now))
    return token


async def current(session: AsyncSession, token: str | None, now: datetime,
                  idle: timedelta = IDLE_TIMEOUT) -> SignedIn | None:
    """The signed-in account of a cookie; each request moves the idle deadline on (the stored
    `expires_at` slides, never past SESSION_TTL after sign-in)."""
    if not token or len(token) > 100:
        return None
    row = await session.get(StaffSession, _hash_token(token))
    if row is None or row.expires_at <= now:
        return None
    user = await session.get(StaffUser, row.staff_id)
    if user is None or not user.active:
        return None
    later = _expiry(row.created_at, now, idle)
    if row.stage is None and later - row.expires_at > timedelta(seconds=30):  # not a write on every request
        row.expires_at = later
    return SignedIn(user, row)


async def set_stage(session: AsyncSession, token: str | None, stage: str) -> None:
    """Move a half-signed-in session on to its next step (its deadline stays)."""
    if token and len(token) <= 100:
        await session.execute(update(StaffSession).where(StaffSession.id_hash == _hash_token(token),
                                                         StaffSession.stage.is_not(None)).values(stage=stage))


async def finish_sign_in(session: AsyncSession, token: str | None, now: datetime, idle: timedelta = IDLE_TIMEOUT) -> None:
    """The last step is done: the session is signed in, from now (idle timeout and SESSION_TTL)."""
    if token and len(token) <= 100:
        await session.execute(update(StaffSession).where(StaffSession.id_hash == _hash_token(token),
                                                         StaffSession.stage.is_not(None))
                              .values(stage=None, created_at=now, expires_at=_expiry(now, now, idle)))


async def end_session(session: AsyncSession, token: str | None) -> None:
    if token and len(token) <= 100:
        await session.execute(delete(StaffSession).where(StaffSession.id_hash == _hash_token(token)))


async def change_password(db, user_id: int, current_password: str, new_password: str, now: datetime,
                          keep_session: str | None = None) -> None:
    """A signed-in member's new password. The current one is required (and a wrong one counts
    towards the lockout, as at sign-in); the new one must pass `check_password`. Every other
    session of the account ends."""
    async with db.session() as s:
        user = await s.get(StaffUser, user_id)
        if user is None:
            raise UserError("the account no longer exists")
        counted = await count_attempt(s, user.id, now)
    ok = counted is not None and len(current_password) <= MAX_PASSWORD and await asyncio.to_thread(
        _verify, user.password_hash, current_password)
    if not ok:
        raise UserError("the current password is wrong (or the account is locked after too many tries)")
    check_password(new_password, user.email)
    new_hash = await asyncio.to_thread(_hasher.hash, new_password)
    async with db.session() as s:
        user = await s.get(StaffUser, user_id)
        user.password_hash, user.failed_logins, user.locked_until = new_hash, 0, None
        others = delete(StaffSession).where(StaffSession.staff_id == user_id)
        if keep_session:
            others = others.where(StaffSession.id_hash != _hash_token(keep_session))
        await s.execute(others)


async def end_all_sessions(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(StaffSession).where(StaffSession.staff_id == user_id))


TEMPORARY_TTL = timedelta(days=3)  # a reset's temporary password is good this long, and once
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def temporary_password() -> str:
    """Four groups of five letters and digits (about 99 bits): easy to read out, never guessed."""
    return "-".join("".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(5)) for _ in range(4))


def clear_second_factor(user: StaffUser) -> None:
    user.totp_secret_enc = user.totp_enrolled_at = user.totp_last_step = None


async def reset_second_factor(session: AsyncSession, user: StaffUser) -> None:
    """A lost phone: the member enrols a new second factor at the next sign-in (with the password
    they have); every session of the account ends."""
    clear_second_factor(user)
    await end_all_sessions(session, user.id)


async def reset_account(session: AsyncSession, user: StaffUser, now: datetime) -> str:
    """An admin's reset: returns a temporary password (to show once; only its hash is stored),
    good for TEMPORARY_TTL, with which the member signs in once to choose a password of their own
    and enrol a new second factor. The lock is lifted and every session of the account ends."""
    password = temporary_password()
    user.password_hash = await asyncio.to_thread(_hasher.hash, password)
    user.temporary_until = now + TEMPORARY_TTL
    user.failed_logins, user.locked_until = 0, None
    await reset_second_factor(session, user)
    return password


async def choose_password(db, user_id: int, new_password: str) -> None:
    """After a reset: the member's own password in place of the temporary one."""
    async with db.session() as s:
        user = await s.get(StaffUser, user_id)
        if user is None or user.temporary_until is None:
            raise UserError("this account has no temporary password to replace")
        email, old_hash = user.email, user.password_hash
    check_password(new_password, email)
    if await asyncio.to_thread(_verify, old_hash, new_password):
        raise UserError("choose a password of your own, not the temporary one")
    new_hash = await asyncio.to_thread(_hasher.hash, new_password)
    async with db.session() as s:
        user = await s.get(StaffUser, user_id)
        user.password_hash, user.temporary_until = new_hash, None
