"""Validity reminders: bound chats are told `config.reminder_days` (60, 30, 7) days before their
factory's status ends, once each, through the outbox.

What is due is computed from the database at every run, so a restart neither loses nor repeats
a reminder: `reminders_sent` (unique per factory, contact, validity end and threshold) is the
record, and the outbox `dedupe_key` says the same. A run that was missed (the bot was down on the
60th day) still sends the most relevant reminder late, with the true number of days left; a
threshold already overtaken (60 when 25 days are left) is not sent.

Delivery: WeChat allows customer-service messages only within 48 hours of the user's last
message; the WeChat sender raises `Held` and the outbox gives the reminder with the user's next
message. Rows carry `kind="reminder"`, so the WeChat sender can use a template message
(`config.wechat_template_reminder`) for them instead.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING

from prometheus_client import Counter
from sqlalchemy import select, update

from bot.core.dialect import insert_ignore
from bot.core.messages import Choice, Reply
from bot.core.metrics import REGISTRY
from bot.core.models import Contact, utcnow
from bot.core.models.factories import Binding, Factory, ReminderSent
from bot.core.texts import t
from bot.jobs import Job
from bot.services.outbox import enqueue
from bot.services.validity import TERMINATED, validity_of
from handlers.status.report import reminder_text

if TYPE_CHECKING:  # pragma: no cover
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

KIND = "reminder"
REMINDERS_QUEUED = Counter("etp_reminders_queued_total", "Validity reminders queued", ["days_before"],
                           registry=REGISTRY)


def due_threshold(days_left: int, thresholds: tuple[int, ...]) -> int | None:
    """The smallest threshold not yet passed: 45 days left with (60, 30, 7) → 60; 25 → 30."""
    if days_left < 0:
        return None
    return min((d for d in thresholds if days_left <= d), default=None)


async def send_reminders(runtime: "Runtime") -> int:
    """Queue every reminder due today; returns how many were queued."""
    services, today = runtime.services, runtime.services.today()
    facts = services.kb.facts
    queued = 0
    async with runtime.db.session() as s:
        rows = (await s.execute(
            select(Factory, Contact)
            .join(Binding, Binding.factory_pk == Factory.id)
            .join(Contact, Binding.contact_id == Contact.id)
            .where(Binding.revoked_at.is_(None), Factory.status != TERMINATED)
            .order_by(Binding.id)
        )).all()
        for factory, contact in rows:
            v = validity_of(factory, facts)
            days_before = due_threshold(v.days_left(today), runtime.config.reminder_days) if v.end else None
            if days_before is None:
                continue
            if not await _record(s, factory, contact, v.end, days_before):
                continue  # sent before, by this process or another, before or after a restart
            lang = contact.lang or "en"
            outbox_id = await enqueue(
                s, services.secrets, channel=contact.channel, contact_id=contact.id, kind=KIND,
                replies=[Reply(reminder_text(factory, facts, v, today, lang),
                               (Choice("status", t("menu.status", lang)),))],
                dedupe_key=f"reminder:{factory.id}:{contact.id}:{v.end.isoformat()}:{days_before}",
            )
            await s.execute(
                update(ReminderSent)
                .where(ReminderSent.factory_pk == factory.id, ReminderSent.contact_id == contact.id,
                       ReminderSent.valid_until == v.end, ReminderSent.days_before == days_before)
                .values(outbox_id=outbox_id)
            )
            REMINDERS_QUEUED.labels(str(days_before)).inc()
            queued += 1
    log.info("validity reminders queued", extra={"event": "reminders", "count": queued})
    return queued


async def _record(s, factory: Factory, contact: Contact, end: date, days_before: int) -> bool:
    return await insert_ignore(s, ReminderSent.__table__, {
        "factory_pk": factory.id, "contact_id": contact.id, "valid_until": end, "days_before": days_before,
        "outbox_id": None, "created_at": utcnow(),
    }, ["factory_pk", "contact_id", "valid_until", "days_before"])


JOB = Job("reminders", timedelta(hours=1), send_reminders)
