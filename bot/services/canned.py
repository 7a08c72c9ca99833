"""Canned replies: kept by admins per queue and language, offered on a case page of the queue
with the reporter's language first."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import UserError
from bot.core.models.canned import CannedReply
from bot.core.models.cases import QUEUES

LANGS = ("en", "zh")
MAX_TITLE, MAX_BODY = 120, 4000


def check(queue: str, lang: str, title: str, body: str) -> tuple[str, str]:
    """The title and body to store, stripped; UserError saying what is wrong."""
    title, body = title.strip(), body.strip()
    if queue not in QUEUES:
        raise UserError(f"unknown queue {queue!r}")
    if lang not in LANGS:
        raise UserError(f"unknown language {lang!r}")
    if not title or len(title) > MAX_TITLE:
        raise UserError(f"a title of 1 to {MAX_TITLE} characters is needed")
    if not body or len(body) > MAX_BODY:
        raise UserError(f"a text of 1 to {MAX_BODY} characters is needed")
    if "\x00" in title + body:
        raise UserError("the text holds a NUL character")
    return title, body


async def save(session: AsyncSession, *, queue: str, lang: str, title: str, body: str, staff_id: int,
               now: datetime, reply_id: int | None = None) -> CannedReply:
    title, body = check(queue, lang, title, body)
    reply = await session.get(CannedReply, reply_id) if reply_id is not None else CannedReply()
    if reply is None:
        raise UserError("that canned reply no longer exists")
    reply.queue, reply.lang, reply.title, reply.body = queue, lang, title, body
    reply.updated_at, reply.updated_by = now, staff_id
    session.add(reply)
    await session.flush()
    return reply


async def all_replies(session: AsyncSession) -> list[CannedReply]:
    order = (CannedReply.queue, CannedReply.lang, CannedReply.title, CannedReply.id)
    return list((await session.execute(select(CannedReply).order_by(*order))).scalars())


async def for_case(session: AsyncSession, queue: str, lang: str) -> list[CannedReply]:
    """The queue's canned replies, those in the reporter's language first."""
    first = case((CannedReply.lang == lang, 0), else_=1)
    order = (first, CannedReply.lang, CannedReply.title, CannedReply.id)
    return list((await session.execute(select(CannedReply).where(CannedReply.queue == queue)
                                       .order_by(*order))).scalars())


async def delete(session: AsyncSession, reply_id: int) -> bool:
    reply = await session.get(CannedReply, reply_id)
    if reply is None:
        return False
    await session.delete(reply)
    return True
