"""Factory accounts: factory records, one-time binding codes, chat bindings, the accredited-auditor
register, reminders already sent, and throttle counters (generic: binding codes, case references)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, UTCDateTime, utcnow

CERTIFICATION_STATUSES = ("certified", "remediation", "probation", "progressing", "assessed", "terminated")


class Factory(Base):
    """A factory as exported from the program's platform (`etp-bot factories import`)."""

    __tablename__ = "factories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    factory_id: Mapped[str] = mapped_column(String(64), unique=True)  # the program's id
    name: Mapped[str] = mapped_column(String(300))
    name_zh: Mapped[str | None] = mapped_column(String(300), nullable=True)
    country: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # one of CERTIFICATION_STATUSES
    status_since: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)  # from the CSV only
    open_minor: Mapped[int | None] = mapped_column(Integer, nullable=True)
    open_major: Mapped[int | None] = mapped_column(Integer, nullable=True)
    open_critical: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audit_firm: Mapped[str | None] = mapped_column(String(100), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BindingCode(Base):
    """A one-time code staff give to a factory; only its keyed hash is stored."""

    __tablename__ = "binding_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    factory_pk: Mapped[int] = mapped_column(ForeignKey("factories.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Binding(Base):
    """A chat account linked to a factory. Several contacts may bind to one factory; a revoked
    binding keeps its row (for staff) until the same contact binds again."""

    __tablename__ = "bindings"
    __table_args__ = (UniqueConstraint("factory_pk", "contact_id", name="uq_bindings_factory_contact"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    factory_pk: Mapped[int] = mapped_column(ForeignKey("factories.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int | None] = mapped_column(ForeignKey("binding_codes.id", ondelete="SET NULL"), nullable=True)
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(16), nullable=True)  # user, staff


class Auditor(Base):
    """One named auditor of an accredited firm. The register is replaced as a whole on import."""

    __tablename__ = "auditors"
    __table_args__ = (Index("ix_auditors_name_norm", "name_norm"), Index("ix_auditors_name_zh_norm", "name_zh_norm"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    firm: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200), nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    # normalised (case, spaces, script) for exact look-ups
    firm_norm: Mapped[str] = mapped_column(String(100))
    name_norm: Mapped[str] = mapped_column(String(200))
    name_zh_norm: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ReminderSent(Base):
    """A validity reminder already queued: one per factory, contact, validity end and threshold."""

    __tablename__ = "reminders_sent"
    __table_args__ = (
        UniqueConstraint("factory_pk", "contact_id", "valid_until", "days_before", name="uq_reminders_sent_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    factory_pk: Mapped[int] = mapped_column(ForeignKey("factories.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    valid_until: Mapped[date] = mapped_column(Date)
    days_before: Mapped[int] = mapped_column(Integer)
    outbox_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


__all__ = ["CERTIFICATION_STATUSES", "Factory", "BindingCode", "Binding", "Auditor", "ReminderSent"]
