"""Chat accounts and their conversation state.

A contact is never stored by its platform id: `key_hash` (HMAC of "channel:platform_id") finds
it, `platform_id_enc` (encrypted) lets the outbox deliver to it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, UTCDateTime, utcnow_hour


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    platform_id_enc: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # to the hour: exact times would join a contact to the case it opened
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_hour)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)  # user blocked the bot


class Conversation(Base):
    """Where a contact is in the dialogue: any process can continue any conversation."""

    __tablename__ = "conversations"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    # left empty: the flow, step and expiry are inside data_enc, so that a row does not show that
    # its contact is in the middle of a report (columns kept for rows of earlier releases)
    flow: Mapped[str | None] = mapped_column(String(32), nullable=True)
    step: Mapped[str | None] = mapped_column(String(32), nullable=True)
    data_enc: Mapped[str | None] = mapped_column(Text, nullable=True)  # flow, step, expiry, fields: encrypted
    choices_json: Mapped[str | None] = mapped_column(Text, nullable=True)  # last offered choices, encrypted
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_hour, onupdate=utcnow_hour)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
