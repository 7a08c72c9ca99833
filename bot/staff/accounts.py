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
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import UserError
from bot.core.models.cases import ROLES, StaffSession, StaffUser

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=12)
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
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters (and at most {MAX_PASSWORD})")


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


async def authenticate(session: AsyncSession, email: str, password: str, now: datetime) -> StaffUser | None:
    """The account when the password is right and the account is neither locked nor disabled.
    Every failure counts; MAX_FAILURES in a row lock the account for LOCKOUT."""
    user = (await session.execute(select(StaffUser).where(StaffUser.email == normalize_email(email)))).scalar_one_or_none()
    ok = await asyncio.to_thread(_verify, user.password_hash if user else _DUMMY_HASH, password)
    if user is None:
        return None
    if user.locked_until is not None and user.locked_until > now:
        return None
    if not ok or not user.active:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        return None
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(_hasher.hash, password)
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass
class SignedIn:
    user: StaffUser
    session: StaffSession


async def start_session(session: AsyncSession, user: StaffUser, now: datetime) -> str:
    """A new browser session; returns the cookie value (never stored)."""
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(id_hash=_hash_token(token), staff_id=user.id, csrf_token=secrets.token_urlsafe(32),
                             created_at=now, expires_at=now + SESSION_TTL))
    await session.execute(delete(StaffSession).where(StaffSession.expires_at < now))
    return token


async def current(session: AsyncSession, token: str | None, now: datetime) -> SignedIn | None:
    if not token or len(token) > 100:
        return None
    row = await session.get(StaffSession, _hash_token(token))
    if row is None or row.expires_at < now:
        return None
    user = await session.get(StaffUser, row.staff_id)
    if user is None or not user.active:
        return None
    return SignedIn(user, row)


async def end_session(session: AsyncSession, token: str | None) -> None:
    if token and len(token) <= 100:
        await session.execute(delete(StaffSession).where(StaffSession.id_hash == _hash_token(token)))
