"""Canned replies: answers staff give again and again, per queue and language, kept by admins
and put into the reply box on the case page. Staff-written templates, never a reporter's words,
so they are stored as they are."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, UTCDateTime, utcnow


class CannedReply(Base):
    __tablename__ = "canned_replies"
    __table_args__ = (Index("ix_canned_replies_queue_lang", "queue", "lang"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue: Mapped[str] = mapped_column(String(16))  # helpline, integrity, helpdesk
    lang: Mapped[str] = mapped_column(String(8))  # en, zh: the reporter's language it is written in
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
