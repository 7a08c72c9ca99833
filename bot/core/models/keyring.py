"""The staff key hierarchy (docs/cases.md "Encryption protocol"): a key pair per member and per
queue, the queue's private key sealed to each member granted it, and the member's private key
of a signed-in browser, kept only under a key derived from the session cookie.

Nothing here opens anything without a secret that is not in the database: a member's password
or recovery key, or a live session cookie."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, UTCDateTime, utcnow


class StaffKey(Base):
    """A member's X25519 key pair: the private key wrapped under Argon2id(password, salt) and under
    the recovery key shown once (None until the member has one: created at first sign-in for an
    account made on the admin's page, see bot.services.keyring)."""

    __tablename__ = "staff_keys"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    password_salt: Mapped[str] = mapped_column(String(32))
    private_by_password: Mapped[str] = mapped_column(Text)
    private_by_recovery: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueueKey(Base):
    """A queue's public key: every case of the queue has its private key sealed to it."""

    __tablename__ = "queue_keys"

    queue: Mapped[str] = mapped_column(String(16), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueueGrant(Base):
    """A queue's private key, sealed to one member's public key."""

    __tablename__ = "queue_grants"

    queue: Mapped[str] = mapped_column(String(16), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    private_sealed: Mapped[str] = mapped_column(Text)
    granted_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SessionKey(Base):
    """The private key of a signed-in member, wrapped under a key derived from the session cookie
    (which the database stores only as a hash). Deleted with the session."""

    __tablename__ = "session_keys"

    id_hash: Mapped[str] = mapped_column(ForeignKey("staff_sessions.id_hash", ondelete="CASCADE"), primary_key=True)
    private_wrapped: Mapped[str] = mapped_column(Text)
