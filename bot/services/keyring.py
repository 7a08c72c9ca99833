"""The staff key hierarchy (docs/cases.md "Encryption protocol").

member key pair ──private wrapped under── Argon2id(password) and the recovery key
queue key pair  ──private sealed to────── each member granted the queue
case key pair   ──private sealed to────── the queue (and wrapped under Argon2id(receipt))

A member signs in: their private key is unwrapped with the password and kept for the session
only under a key derived from the session cookie (`SessionKey`); each request of that browser
unwraps it again, then the queue key, then the case key. Without a live cookie, a password or a
recovery key, nothing in the database opens a queue key.

The first member of a queue role creates the queue's key pair (and is granted it); later members
are granted it by a member who has it (console "Queue key" page, or `etp-bot staff grant`).
"""
from __future__ import annotations

import asyncio
import base64
import logging
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import sealing
from bot.core.crypto import Secrets
from bot.core.errors import UserError
from bot.core.models.base import utcnow
from bot.core.models.cases import QUEUES, Case, CaseMessage, StaffUser
from bot.core.models.evidence import CaseEvidence
from bot.core.models.keyring import QueueGrant, QueueKey, SessionKey, StaffKey

log = logging.getLogger(__name__)
SESSION_PURPOSE = b"etp-session-key"
RECOVERY_PURPOSE = b"etp-recovery-key"


def _password_key(password: str, salt: str) -> bytes:
    return sealing.slow_key(password, salt, sealing.PASSWORD_COST)


async def _password_key_async(password: str, salt: str) -> bytes:
    """Argon2id in a thread: the event loop keeps serving other requests meanwhile."""
    return await asyncio.to_thread(_password_key, password, salt)


def _recovery_key(recovery: str) -> bytes:
    return sealing.fast_key(sealing.normalize_recovery_key(recovery), RECOVERY_PURPOSE)


def _session_key(cookie: str) -> bytes:
    # the database keeps sha256(cookie) as the session id; this is another function of it
    return sealing.fast_key(cookie, SESSION_PURPOSE)


async def _store_member_key(session: AsyncSession, user_id: int, private: bytes, password: str, recovery: str | None,
                      row: StaffKey | None = None) -> StaffKey:
    salt = sealing.new_salt()
    values = dict(public_key=sealing.public_of(private), password_salt=salt,
                  private_by_password=sealing.wrap(await _password_key_async(password, salt), private),
                  private_by_recovery=sealing.wrap(_recovery_key(recovery), private) if recovery else None)
    if row is None:
        row = StaffKey(staff_id=user_id, created_at=utcnow(), **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    return row


async def enrol(session: AsyncSession, secrets: Secrets | None, user: StaffUser, password: str, *,
                with_recovery: bool = True) -> str | None:
    """A new member's key pair; returns their recovery key (to be shown once, never stored).
    The first member of a queue role creates the queue's key pair and is granted it."""
    recovery = sealing.new_recovery_key() if with_recovery else None
    _public, private = sealing.new_key_pair()
    await _store_member_key(session, user.id, private, password, recovery)
    await _first_of_queue(session, secrets, user, sealing.public_of(private))
    return recovery


async def _first_of_queue(session: AsyncSession, secrets: Secrets | None, user: StaffUser, member_public: str) -> None:
    """The first member of a queue role creates the queue's key pair and is granted it."""
    if user.role not in QUEUES or await session.get(QueueKey, user.role) is not None:
        return
    queue_public, queue_private = sealing.new_key_pair()
    session.add(QueueKey(queue=user.role, public_key=queue_public, created_at=utcnow()))
    session.add(QueueGrant(queue=user.role, staff_id=user.id, granted_at=utcnow(),
                           private_sealed=sealing.seal_bytes(member_public, queue_private)))
    await session.flush()
    if secrets is not None:
        await adopt_waiting_cases(session, secrets, user.role)


async def role_changed(session: AsyncSession, secrets: Secrets, user: StaffUser) -> None:
    """An admin changed the member's role: the keys of the queues they left are taken from them;
    in the new queue a member who holds its key grants it (or they create it, if first)."""
    await session.execute(delete(QueueGrant).where(QueueGrant.staff_id == user.id, QueueGrant.queue != user.role))
    key = await session.get(StaffKey, user.id)
    if key is not None:
        await _first_of_queue(session, secrets, user, key.public_key)


async def reset(session: AsyncSession, user: StaffUser, new_password: str) -> str:
    """After an admin reset (the old password and keys are gone): a new key pair and recovery key;
    the member's queue grants are void, and a member of the queue grants the key again."""
    recovery = sealing.new_recovery_key()
    _public, private = sealing.new_key_pair()
    await _store_member_key(session, user.id, private, new_password, recovery, await session.get(StaffKey, user.id))
    await session.execute(delete(QueueGrant).where(QueueGrant.staff_id == user.id))
    return recovery


async def unlock(session: AsyncSession, user_id: int, password: str) -> bytes | None:
    """The member's private key, with their password (None: no key pair, or the wrong password)."""
    row = await session.get(StaffKey, user_id)
    if row is None:
        return None
    try:
        return sealing.unwrap(await _password_key_async(password, row.password_salt), row.private_by_password)
    except sealing.WrongKey:
        return None


async def change_password(session: AsyncSession, user_id: int, old: str, new: str) -> None:
    """Re-wrap the member's private key under the new password (the recovery key is unchanged)."""
    row = await session.get(StaffKey, user_id)
    private = await unlock(session, user_id, old)
    if row is None or private is None:
        return
    salt = sealing.new_salt()
    row.password_salt, row.private_by_password = salt, sealing.wrap(await _password_key_async(new, salt), private)


async def recover(session: AsyncSession, user_id: int, recovery: str, new_password: str) -> None:
    """A member who forgot their password: the recovery key opens their private key, which is
    wrapped under the new password (the caller sets the new password hash)."""
    row = await session.get(StaffKey, user_id)
    if row is None:
        raise UserError("this account has no key pair")
    try:
        private = sealing.unwrap(_recovery_key(recovery), row.private_by_recovery)
    except sealing.WrongKey:
        raise UserError("the recovery key is wrong") from None
    salt = sealing.new_salt()
    row.password_salt, row.private_by_password = salt, sealing.wrap(await _password_key_async(new_password, salt),
                                                                    private)


async def new_recovery_key(session: AsyncSession, user_id: int, private: bytes) -> str:
    """A signed-in member's new recovery key (shown once; the previous one no longer works)."""
    row = await session.get(StaffKey, user_id)
    if row is None:
        raise UserError("this account has no key pair")
    recovery = sealing.new_recovery_key()
    row.private_by_recovery = sealing.wrap(_recovery_key(recovery), private)
    return recovery


async def has_recovery_key(session: AsyncSession, user_id: int) -> bool:
    row = await session.get(StaffKey, user_id)
    return row is not None and row.private_by_recovery is not None


# -- sessions --------------------------------------------------------------------------------
async def sign_in(session: AsyncSession, secrets: Secrets, user: StaffUser, password: str, cookie: str,
                  id_hash: str) -> None:
    """The password was verified and a session started: the member's private key is opened into
    the session. An account without a key pair (made on the admin's page, or before this release)
    gets one now; its recovery key is created from the "Keys" page."""
    if getattr(user, "temporary_until", None) is not None:
        return  # an admin's temporary password wraps nothing: the keys come with the member's own
    if await session.get(StaffKey, user.id) is None:
        await enrol(session, secrets, user, password, with_recovery=False)
        await session.flush()
    await open_session(session, user.id, password, cookie, id_hash)


async def forget_member(session: AsyncSession, user_id: int) -> None:
    """An admin reset: the member's key pair and queue grants go (the admin knows neither their
    password nor their recovery key, so must not be able to set one that opens them). The member's
    next sign-in with a password of their own makes a new key pair; a queue member re-grants."""
    await session.execute(delete(QueueGrant).where(QueueGrant.staff_id == user_id))
    await session.execute(delete(StaffKey).where(StaffKey.staff_id == user_id))


async def forget_ended_sessions(session: AsyncSession) -> None:
    """Session keys of sessions that ended (signed out, expired, password changed) are deleted."""
    from bot.core.models.cases import StaffSession

    await session.execute(delete(SessionKey).where(SessionKey.id_hash.not_in(select(StaffSession.id_hash)))
                          .execution_options(synchronize_session=False))


async def open_session(session: AsyncSession, user_id: int, password: str, cookie: str, id_hash: str) -> bool:
    """After the password is verified: the member's private key, kept for this browser session
    under a key derived from its cookie. False when the account has no key pair."""
    private = await unlock(session, user_id, password)
    if private is None:
        return False
    session.add(SessionKey(id_hash=id_hash, private_wrapped=sealing.wrap(_session_key(cookie), private)))
    await session.flush()
    return True


async def session_private(session: AsyncSession, cookie: str | None, id_hash: str) -> bytes | None:
    row = await session.get(SessionKey, id_hash)
    if row is None or not cookie:
        return None
    try:
        return sealing.unwrap(_session_key(cookie), row.private_wrapped)
    except sealing.WrongKey:
        return None


# -- queues ----------------------------------------------------------------------------------
async def queue_public(session: AsyncSession, queue: str) -> str | None:
    row = await session.get(QueueKey, queue)
    return row.public_key if row else None


async def queue_private(session: AsyncSession, member_private: bytes | None, user_id: int, queue: str) -> bytes | None:
    if member_private is None:
        return None
    grant = await session.get(QueueGrant, (queue, user_id))
    if grant is None:
        return None
    try:
        return sealing.unseal_bytes(member_private, grant.private_sealed)
    except sealing.WrongKey:  # sealed to a key pair the member no longer has (reset)
        return None


@dataclass
class Member:
    id: int
    email: str
    has_key_pair: bool
    granted: bool


async def members(session: AsyncSession, queue: str) -> list[Member]:
    """The active members of a queue role and whether each has the queue key."""
    users = (await session.execute(select(StaffUser).where(StaffUser.role == queue, StaffUser.active.is_(True))
                                   .order_by(StaffUser.email))).scalars().all()
    keyed = set((await session.execute(select(StaffKey.staff_id))).scalars())
    granted = set((await session.execute(select(QueueGrant.staff_id).where(QueueGrant.queue == queue))).scalars())
    return [Member(u.id, u.email, u.id in keyed, u.id in granted) for u in users]


async def grant(session: AsyncSession, granter: StaffUser, granter_private: bytes | None, member_id: int) -> None:
    """A member who holds the queue key gives it to another member of the same role."""
    queue = granter.role
    private = await queue_private(session, granter_private, granter.id, queue)
    if private is None:
        raise UserError("you do not hold this queue's key yourself (sign in again, or ask another member)")
    member = await session.get(StaffUser, member_id)
    key = await session.get(StaffKey, member_id)
    if member is None or member.role != queue or not member.active:
        raise UserError("only an active member of the same queue can be granted its key")
    if key is None:
        raise UserError("this member has no key pair yet: they sign in once first")
    row = await session.get(QueueGrant, (queue, member_id))
    sealed = sealing.seal_bytes(key.public_key, private)
    if row is None:
        session.add(QueueGrant(queue=queue, staff_id=member_id, private_sealed=sealed, granted_by=granter.id,
                               granted_at=utcnow()))
    else:
        row.private_sealed, row.granted_by, row.granted_at = sealed, granter.id, utcnow()
    log.info("queue key granted", extra={"queue": queue, "event": "queue_key_granted"})


# -- cases written before their queue had a key ------------------------------------------------
async def adopt_waiting_cases(session: AsyncSession, secrets: Secrets, queue: str) -> int:
    """Cases of a queue whose private key is still under the server key (opened before the queue
    had its first member, or by an earlier release) get it sealed to the queue key instead, and
    their messages and evidence files written under the server key are sealed to the case key. Needs only public
    keys: run when the first member of a queue is created, and by `etp-bot keys migrate-cases`."""
    public = await queue_public(session, queue)
    if public is None:
        return 0
    due = (await session.execute(select(Case).where(Case.queue == queue, Case.private_by_server_enc.is_not(None))
                                 )).scalars().all()
    for case in due:
        private = base64.urlsafe_b64decode(secrets.decrypt(case.private_by_server_enc))
        for m in (await session.execute(select(CaseMessage).where(CaseMessage.case_id == case.id))).scalars():
            if not sealing.is_sealed(m.body_enc):
                m.body_enc = sealing.seal(case.public_key, secrets.decrypt(m.body_enc))
            if m.attachments_enc and not sealing.is_sealed(m.attachments_enc):
                m.attachments_enc = sealing.seal(case.public_key, secrets.decrypt(m.attachments_enc))
        # evidence files kept under the server key, likewise (`evidence.seal` seals new ones to the case key)
        for e in (await session.execute(select(CaseEvidence).where(CaseEvidence.case_id == case.id,
                                                                   CaseEvidence.data_enc.is_not(None)))).scalars():
            if not sealing.is_sealed(e.data_enc):
                e.data_enc = sealing.seal_bytes(case.public_key, secrets.decrypt_bytes(e.data_enc))
        case.private_by_queue = sealing.seal_bytes(public, private)
        case.private_by_server_enc = None
    if due:
        log.info("cases adopted by the queue key", extra={"queue": queue, "event": "cases_adopted", "count": len(due)})
    return len(due)
