"""The inbox (one row per inbound platform message), per-contact rate-limit counters, and the
WeChat request signatures already used (each accepted once).

An inbound message is written here before the platform gets its answer, unique per
(channel, message key), so a redelivery never runs the dialogue twice and a message whose
processing did not finish (crash) is processed at the next start. Neither the message key
(a WeChat event key contains the OpenID) nor the payload is stored in clear: the key as a
keyed hash, the payload and the cached reply encrypted.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, UTCDateTime, utcnow

RECEIVED = "received"  # stored, dialogue not run yet (or its transaction rolled back)
DONE = "done"  # dialogue ran; its effects, the reply and this status committed together
FAILED = "failed"  # the dialogue failed on it repeatedly; kept for inspection, not retried

PASSIVE = "passive"  # the reply goes back in the HTTP answer (WeChat)
OUTBOX = "outbox"  # the reply was queued in the outbox


class InboxMessage(Base):
    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "key_hash", name="uq_inbox_channel_key"),
        Index("ix_inbox_status_received", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64))  # keyed hash of the platform's message key
    kind: Mapped[str] = mapped_column(String(16))
    payload_enc: Mapped[str] = mapped_column(Text)  # the Incoming, encrypted JSON
    status: Mapped[str] = mapped_column(String(16), default=RECEIVED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reply_via: Mapped[str | None] = mapped_column(String(16), nullable=True)  # passive / outbox
    reply_enc: Mapped[str | None] = mapped_column(Text, nullable=True)  # the passive reply (WeChat retries)


class RateBucket(Base):
    """Messages counted in the current window, per contact (keyed hash), shared by processes."""

    __tablename__ = "rate_buckets"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)


class SeenSignature(Base):
    """A WeChat request's (timestamp, nonce) pair, with the message it first came with: the pair
    signs a request once; WeChat's own retries repeat the pair with the same message and are
    answered from the inbox, any other message under a used pair is refused. Shared by processes;
    rows older than the signature's life are purged (`bot.services.retention`)."""

    __tablename__ = "seen_signatures"
    __table_args__ = (Index("ix_seen_signatures_seen_at", "seen_at"),)

    pair_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # keyed hash of channel, timestamp, nonce
    message_hash: Mapped[str] = mapped_column(String(64))  # keyed hash of the sender and message key
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
