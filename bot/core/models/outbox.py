"""Messages sent later than the passive reply (staff replies, reminders, alerts, WeChat
customer-service messages), delivered by `bot.services.outbox` with retries and backoff."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, UTCDateTime, utcnow

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
HELD = "held"  # blocked by a platform window (WeChat 48 h): given with the user's next message
FAILED = "failed"  # definitely undeliverable (recorded, shown to staff)


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), nullable=True)
    channel: Mapped[str] = mapped_column(String(16))
    # a direct destination that is not a contact (staff alert chat), encrypted
    destination_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    # a staff reply's contact: its id encrypted (no contact_id in clear) and a keyed tag of it,
    # by which a held reply is released when the contact writes again
    contact_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    contact_tag: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(32))  # reply, staff_reply, reminder, alert
    body_enc: Mapped[str] = mapped_column(Text)  # encrypted JSON list of replies; wiped ("") once delivered
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
