"""What happens to a case, whoever causes it: the reporter's flows (handlers/cases) and the
staff console (bot/staff) both change cases only through these functions, each inside the
caller's transaction (a staff reply and its outbox row commit together, or not at all)."""
from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import metrics, sealing
from bot.core.crypto import DecryptError, Secrets
from bot.core.messages import Reply
from bot.core.models import Contact, OutboxMessage
from bot.core.models import outbox as ob
from bot.core.models.cases import (
    ANSWERED,
    CLOSED,
    NOTE,
    NOTIFY_MESSAGE,
    REPORTER,
    STAFF,
    WAITING,
    Case,
    CaseAccess,
    CaseMessage,
    StaffUser,
)
from bot.core.texts import t
from bot.services import evidence
from bot.services.keyring import queue_public
from bot.services.outbox import DELIVERED_WIPE, enqueue
from bot.services.references import PREFIXES, new_reference, normalize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewReport:
    """A reporter's finished draft."""

    queue: str
    category: str
    body: str
    notify: str
    lang: str
    urgent: bool = False
    attachments: tuple[dict[str, Any], ...] = ()


def case_number(case: Case) -> str:
    """What staff see and say: the queue letter and the case's number, e.g. `H-1042`. Too short
    to be read as a receipt, so it gives no access from a chat."""
    return f"{PREFIXES[case.queue]}-{case.id}"


# -- the case key pair (docs/cases.md "Encryption protocol") -----------------------------------
def case_keys(secrets: Secrets, receipt: str, queue_key: str | None) -> dict[str, str | None]:
    """A new case key pair: the private key sealed to the queue's public key (or, while the queue
    has none, wrapped under the server key until its first member adopts it) and wrapped under
    Argon2id(receipt, per-case salt), so the reporter alone can read staff answers with the receipt."""
    public, private = sealing.new_key_pair()
    salt = sealing.new_salt()
    return {
        "public_key": public, "receipt_salt": salt,
        "private_by_receipt": sealing.wrap(sealing.slow_key(receipt, salt, sealing.RECEIPT_COST), private),
        "private_by_queue": sealing.seal_bytes(queue_key, private) if queue_key else None,
        "private_by_server_enc": None if queue_key else secrets.encrypt(base64.urlsafe_b64encode(private).decode()),
    }


def private_for_reporter(case: Case, receipt: str) -> bytes | None:
    if not case.private_by_receipt or not case.receipt_salt:
        return None
    try:
        return sealing.unwrap(sealing.slow_key(normalize(receipt) or receipt, case.receipt_salt, sealing.RECEIPT_COST),
                              case.private_by_receipt)
    except sealing.WrongKey:
        return None


def private_for_staff(secrets: Secrets, case: Case, queue_private: bytes | None) -> bytes | None:
    """The case's private key for a member holding the queue key (or the server, for a case whose
    queue had no key yet); None when it cannot be opened."""
    if case.private_by_server_enc:
        return base64.urlsafe_b64decode(secrets.decrypt(case.private_by_server_enc))
    if case.private_by_queue and queue_private is not None:
        try:
            return sealing.unseal_bytes(queue_private, case.private_by_queue)
        except sealing.WrongKey:
            return None
    return None


def seal_to_case(secrets: Secrets, case: Case, data: str | bytes) -> str:
    """A message body, an attachment list or an evidence file, sealed to the case's public key (the
    server key for a case of an earlier release that has no key pair)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return sealing.seal_bytes(case.public_key, raw) if case.public_key else secrets.encrypt_bytes(raw)


def read_bytes(secrets: Secrets, private: bytes | None, token: str) -> bytes | None:
    """What `seal_to_case` sealed: sealed to the case key, or (rows of an earlier release not yet
    adopted) under the server key. None when the key to open it is missing."""
    if sealing.is_sealed(token):
        if private is None:
            return None
        try:
            return sealing.unseal_bytes(private, token)
        except sealing.WrongKey:
            return None
    try:
        return secrets.decrypt_bytes(token)
    except DecryptError:
        return None


def read(secrets: Secrets, private: bytes | None, token: str) -> str | None:
    """A message body or attachment list (`read_bytes` as text)."""
    raw = read_bytes(secrets, private, token)
    return raw.decode("utf-8") if raw is not None else None


def photos_in(secrets: Secrets, private: bytes | None, token: str | None) -> int:
    raw = read(secrets, private, token) if token else None
    return len(json.loads(raw)) if raw else 0


def _attachments(secrets: Secrets, case: Case, attachments: tuple[dict[str, Any], ...] | list) -> str | None:
    return seal_to_case(secrets, case, json.dumps(list(attachments), ensure_ascii=False)) if attachments else None


def _link_contact(secrets: Secrets, case: Case, contact_id: int | None) -> None:
    case.contact_enc = secrets.encrypt(str(contact_id)) if contact_id is not None else None
    case.contact_tag = secrets.contact_tag(contact_id) if contact_id is not None else None


def linked_contact_id(secrets: Secrets, case: Case) -> int | None:
    return int(secrets.decrypt(case.contact_enc)) if case.contact_enc else None


async def open_case(
    session: AsyncSession, secrets: Secrets, report: NewReport, *, contact_id: int, now: datetime,
    alerts: Sequence[tuple[str, str]] = (),
) -> tuple[Case, str]:
    """Create the case with an unguessable receipt, its key pair and first message (its photos
    queued to be fetched); alert staff at each (outbox channel, destination) of `alerts`
    (`bot.services.alerts`)."""
    while True:
        ref = new_reference(report.queue)
        # Argon2id (tens of milliseconds): in a thread, so the event loop keeps serving others
        ref_hash = await asyncio.to_thread(secrets.receipt_hash, ref)
        taken = await session.execute(select(Case.id).where(Case.ref_hash == ref_hash))
        if taken.first() is None:
            break
    case = Case(
        ref_hash=ref_hash, queue=report.queue, category=report.category,
        status=WAITING, urgent=report.urgent, notify=report.notify, lang=report.lang,
        created_at=now, updated_at=now, waiting_since=now,
        **await asyncio.to_thread(case_keys, secrets, ref, await queue_public(session, report.queue)),
    )
    # a reporter who checks back is not linked to any chat account
    _link_contact(secrets, case, contact_id if report.notify == NOTIFY_MESSAGE else None)
    session.add(case)
    await session.flush()
    await _reporter_message(session, secrets, case, report.body, report.attachments, now)
    for channel, destination in alerts:
        await enqueue(session, secrets, channel=channel, destination=destination, kind="alert",
                      replies=[Reply(t("case_alert", "en", ref=case_number(case), queue=report.queue))])
    metrics.CASES_OPENED.labels(queue=report.queue).inc()
    log.info("case opened", extra={"queue": report.queue, "event": "case_opened"})
    return case, ref


async def _reporter_message(session: AsyncSession, secrets: Secrets, case: Case, body: str,
                            attachments: tuple[dict[str, Any], ...] | list, now: datetime) -> CaseMessage:
    message = CaseMessage(case_id=case.id, author=REPORTER, body_enc=seal_to_case(secrets, case, body),
                          attachments_enc=_attachments(secrets, case, attachments), created_at=now)
    session.add(message)
    if attachments:
        await session.flush()
        await evidence.track(session, secrets, case, message, attachments)
    return message


async def find_case(session: AsyncSession, secrets: Secrets, typed: str) -> Case | None:
    canonical = normalize(typed)
    if canonical is None:
        return None
    hashes = await asyncio.to_thread(secrets.receipt_hashes, canonical)  # Argon2id: off the event loop
    case = (await session.execute(select(Case).where(Case.ref_hash.in_(hashes)))).scalars().first()
    if case is not None and case.ref_hash != hashes[0]:
        case.ref_hash = hashes[0]  # hashed under an old key: now under the current one
    return case


# built once: asked of every unanswered question (may its text reach the helpdesk's page?)
_CASE_LINKED = select(Case.id).where(Case.contact_tag.in_(bindparam("tags", expanding=True)),
                                     Case.queue.in_(bindparam("queues", expanding=True))).limit(1)


async def has_case_linked(session: AsyncSession, secrets: Secrets, contact_id: int, queues: list[str]) -> bool:
    """This chat account is the one a case of these queues answers to."""
    found = await session.execute(_CASE_LINKED, {"tags": secrets.contact_tags(contact_id), "queues": list(queues)})
    return found.first() is not None


async def add_reporter_message(
    session: AsyncSession, secrets: Secrets, case: Case, *, contact_id: int, body: str, now: datetime,
    urgent: bool = False, attachments: tuple[dict[str, Any], ...] | list = (),
) -> None:
    """The reporter wrote again (perhaps from another account): the case waits for staff, is
    reopened if closed, and staff replies now go to this account."""
    await _reporter_message(session, secrets, case, body, attachments, now)
    if case.notify == NOTIFY_MESSAGE:
        _link_contact(secrets, case, contact_id)
    if case.status != WAITING:
        case.status, case.waiting_since, case.closed_at = WAITING, now, None
    case.urgent = case.urgent or urgent
    case.updated_at = now
    log.info("case follow-up", extra={"queue": case.queue, "event": "reporter_message"})


TEAM_TEXT = {"helpline": "case_team.helpline", "integrity": "case_team.integrity", "helpdesk": "case_team.helpdesk"}

# Texts the case service writes itself: to the reporter (a staff answer) and to the staff alert chat.


def relay_text(case: Case, body: str) -> str:
    """A staff answer as the reporter receives it: the receipt is not stored, so the text asks
    them to send theirs to answer (the queue letter says which one)."""
    return t("case_staff_reply", case.lang, letter=PREFIXES[case.queue], body=body,
             team=t(TEAM_TEXT[case.queue], case.lang))


async def staff_reply(
    session: AsyncSession, secrets: Secrets, case: Case, staff: StaffUser, body: str, *, now: datetime,
) -> CaseMessage:
    """Record a staff answer and queue it for the reporter's last account (unless they chose to
    check back with the reference: then it waits for them)."""
    message = CaseMessage(case_id=case.id, author=STAFF, staff_id=staff.id,
                          body_enc=seal_to_case(secrets, case, body), created_at=now)
    contact_id = linked_contact_id(secrets, case) if case.notify == NOTIFY_MESSAGE else None
    if contact_id is not None:
        contact = await session.get(Contact, contact_id)
        if contact is not None:
            # the outbox row names its contact only encrypted (`hidden_contact`)
            message.outbox_id = await enqueue(
                session, secrets, channel=contact.channel, hidden_contact=contact.id, kind="staff_reply",
                replies=[Reply(relay_text(case, body))])
    session.add(message)
    if case.status != CLOSED:
        case.status = ANSWERED
    case.waiting_since = None
    case.first_response_at = case.first_response_at or now
    case.updated_at = now
    log.info("staff reply", extra={"queue": case.queue, "event": "staff_reply"})
    return message


async def add_note(session: AsyncSession, secrets: Secrets, case: Case, staff: StaffUser, body: str, *,
                   now: datetime) -> None:
    session.add(CaseMessage(case_id=case.id, author=NOTE, staff_id=staff.id,
                            body_enc=seal_to_case(secrets, case, body), created_at=now))
    case.updated_at = now


def close(case: Case, now: datetime) -> None:
    case.status, case.closed_at, case.waiting_since, case.updated_at = CLOSED, now, None, now


def reopen(case: Case, now: datetime) -> None:
    case.status, case.closed_at, case.waiting_since, case.updated_at = WAITING, None, now, now


async def log_access(session: AsyncSession, staff: StaffUser, case: Case, action: str, now: datetime) -> None:
    session.add(CaseAccess(staff_id=staff.id, case_id=case.id, action=action, at=now))


async def messages(session: AsyncSession, case: Case) -> list[CaseMessage]:
    found = await session.execute(
        select(CaseMessage).where(CaseMessage.case_id == case.id).order_by(CaseMessage.created_at, CaseMessage.id))
    return list(found.scalars())


async def replies_not_delivered(session: AsyncSession, case: Case) -> list[CaseMessage]:
    """Staff replies the reporter has not received: waiting for them to check back, or held or
    failed on the platform."""
    found = await session.execute(
        select(CaseMessage, OutboxMessage.status)
        .outerjoin(OutboxMessage, OutboxMessage.id == CaseMessage.outbox_id)
        .where(CaseMessage.case_id == case.id, CaseMessage.author == STAFF, CaseMessage.seen_at.is_(None))
        .order_by(CaseMessage.created_at, CaseMessage.id))
    return [m for m, status in found.all() if status != ob.SENT]


async def mark_seen(session: AsyncSession, shown: list[CaseMessage], now: datetime) -> None:
    """Replies shown to the reporter who checked back are delivered: a held or pending copy in
    the outbox must not arrive a second time."""
    for m in shown:
        m.seen_at = now
        if m.outbox_id is not None:
            row = await session.get(OutboxMessage, m.outbox_id)
            if row is not None and row.status != ob.SENT:
                row.status, row.sent_at, row.last_error = ob.SENT, now, "shown when the reporter checked back"
                for column, value in DELIVERED_WIPE.items():
                    setattr(row, column, value)

