"""What happens to a case, whoever causes it: the reporter's flows (handlers/cases) and the
staff console (bot/staff) both change cases only through these functions, each inside the
caller's transaction (a staff reply and its outbox row commit together, or not at all)."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import metrics
from bot.core.crypto import Secrets
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
from bot.services.outbox import enqueue
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


def reference(secrets: Secrets, case: Case) -> str:
    """The reporter's receipt: for the reporter only, never for staff, logs or alerts."""
    return secrets.decrypt(case.reference_enc)


def case_number(case: Case) -> str:
    """What staff see and say: the queue letter and the case's number, e.g. `H-1042`. Too short
    to be read as a receipt, so it gives no access from a chat."""
    return f"{PREFIXES[case.queue]}-{case.id}"


def _attachments(secrets: Secrets, attachments: tuple[dict[str, Any], ...] | list) -> str | None:
    return secrets.encrypt_json(list(attachments)) if attachments else None


async def open_case(
    session: AsyncSession, secrets: Secrets, report: NewReport, *, contact_id: int, now: datetime,
    alerts: Sequence[tuple[str, str]] = (),
) -> tuple[Case, str]:
    """Create the case with an unguessable reference and its first message (its photos queued to
    be fetched); alert staff at each (outbox channel, destination) of `alerts` (`bot.services.alerts`)."""
    while True:
        ref = new_reference(report.queue)
        ref_hash = secrets.lookup_hash(ref)
        taken = await session.execute(select(Case.id).where(Case.ref_hash == ref_hash))
        if taken.first() is None:
            break
    case = Case(
        ref_hash=ref_hash, reference_enc=secrets.encrypt(ref), queue=report.queue, category=report.category,
        status=WAITING, urgent=report.urgent, notify=report.notify, lang=report.lang,
        # a reporter who checks back is not linked to any chat account
        contact_id=contact_id if report.notify == NOTIFY_MESSAGE else None,
        created_at=now, updated_at=now, waiting_since=now,
    )
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
    message = CaseMessage(case_id=case.id, author=REPORTER, body_enc=secrets.encrypt(body),
                          attachments_enc=_attachments(secrets, attachments), created_at=now)
    session.add(message)
    if attachments:
        await session.flush()
        await evidence.track(session, secrets, case, message, attachments)
    return message


async def find_case(session: AsyncSession, secrets: Secrets, typed: str) -> Case | None:
    canonical = normalize(typed)
    if canonical is None:
        return None
    found = await session.execute(select(Case).where(Case.ref_hash.in_(secrets.lookup_hashes(canonical))))
    return found.scalars().first()


async def add_reporter_message(
    session: AsyncSession, secrets: Secrets, case: Case, *, contact_id: int, body: str, now: datetime,
    urgent: bool = False, attachments: tuple[dict[str, Any], ...] | list = (),
) -> None:
    """The reporter wrote again (perhaps from another account): the case waits for staff, is
    reopened if closed, and staff replies now go to this account."""
    await _reporter_message(session, secrets, case, body, attachments, now)
    if case.notify == NOTIFY_MESSAGE:
        case.contact_id = contact_id
    if case.status != WAITING:
        case.status, case.waiting_since, case.closed_at = WAITING, now, None
    case.urgent = case.urgent or urgent
    case.updated_at = now
    log.info("case follow-up", extra={"queue": case.queue, "event": "reporter_message"})


TEAM_TEXT = {"helpline": "case_team.helpline", "integrity": "case_team.integrity", "helpdesk": "case_team.helpdesk"}

# Texts the case service writes itself: to the reporter (a staff answer) and to the staff alert chat.



def relay_text(secrets: Secrets, case: Case, body: str) -> str:
    return t("case_staff_reply", case.lang, ref=reference(secrets, case), body=body,
             team=t(TEAM_TEXT[case.queue], case.lang))


async def staff_reply(
    session: AsyncSession, secrets: Secrets, case: Case, staff: StaffUser, body: str, *, now: datetime,
) -> CaseMessage:
    """Record a staff answer and queue it for the reporter's last account (unless they chose to
    check back with the reference: then it waits for them)."""
    message = CaseMessage(case_id=case.id, author=STAFF, staff_id=staff.id, body_enc=secrets.encrypt(body),
                          created_at=now)
    if case.notify == NOTIFY_MESSAGE and case.contact_id is not None:
        contact = await session.get(Contact, case.contact_id)
        if contact is not None:
            message.outbox_id = await enqueue(
                session, secrets, channel=contact.channel, contact_id=contact.id, kind="staff_reply",
                replies=[Reply(relay_text(secrets, case, body))])
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
    session.add(CaseMessage(case_id=case.id, author=NOTE, staff_id=staff.id, body_enc=secrets.encrypt(body),
                            created_at=now))
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

