"""Cases (helpline, integrity, helpdesk), their messages, staff accounts and the access log.

Nothing here holds a reporter's identity or words in clear: a case points at the contact that
last wrote by internal id, its reference is stored as a keyed hash (for look-up) plus an
encrypted copy (for display to staff), and every message body and attachment list is encrypted.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, UTCDateTime, utcnow

# queues
HELPLINE, INTEGRITY, HELPDESK = "helpline", "integrity", "helpdesk"
QUEUES = (HELPLINE, INTEGRITY, HELPDESK)
# case statuses: waiting for staff, answered by staff (waiting for the reporter), closed
WAITING, ANSWERED, CLOSED = "waiting", "answered", "closed"
CASE_STATUSES = (WAITING, ANSWERED, CLOSED)
# message authors
REPORTER, STAFF, NOTE = "reporter", "staff", "note"
# how the reporter hears of an answer
NOTIFY_MESSAGE, NOTIFY_CHECK_BACK = "message", "check_back"
# staff roles: each case queue has the role of the same name
ADMIN = "admin"
ROLES = (HELPLINE, INTEGRITY, HELPDESK, ADMIN)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # the second factor (TOTP, docs/cases.md): the secret encrypted with the server key; set but not
    # yet enrolled while the member is scanning it; the last time step accepted (a code is good once)
    totp_secret_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # set by an admin's reset: the password is a temporary one, good until then for choosing a new one
    temporary_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StaffSession(Base):
    """A signed-in browser. Only a hash of the cookie's random id is stored; the CSRF token is
    bound to the session."""

    __tablename__ = "staff_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # None: signed in; else half signed in (password given), with the step still to do: "code",
    # "enrol" (the second factor) or "password" (a new one, after an admin's reset)
    stage: Mapped[str | None] = mapped_column(String(16), nullable=True)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_queue_status", "queue", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref_hash: Mapped[str] = mapped_column(String(64), unique=True)  # lookup_hash of the reference
    reference_enc: Mapped[str] = mapped_column(Text)
    queue: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=WAITING)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # the account that last wrote (staff replies go there); None when the reporter checks back
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True)
    notify: Mapped[str] = mapped_column(String(16), default=NOTIFY_MESSAGE)
    lang: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # reporter wrote last
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)


class CaseMessage(Base):
    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(16))  # reporter, staff, note
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    body_enc: Mapped[str] = mapped_column(Text)
    # encrypted JSON list of {"channel", "kind", ids…} (WeChat MediaId, Telegram file_id)
    attachments_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    outbox_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # delivery of a staff reply
    # when the reporter saw a staff reply by checking back with the reference
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseAccess(Base):
    """Who looked at or changed which case (or, from the Factories page, which factory's codes
    and bindings; or, an admin, which staff account), when. Kept after a case is purged."""

    __tablename__ = "case_access"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    # no foreign keys: the log outlives the case or factory it names; exactly one is set
    case_id: Mapped[int | None] = mapped_column(Integer, index=True, nullable=True)
    factory_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    subject_staff_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseStats(Base):
    """What is left of purged cases, without identities: per queue, category and ISO week (in the
    office time zone), the cases opened and the cases closed that week, how many were urgent, and
    the first-response times (seconds, a sorted JSON list) of the cases opened that week, from
    which the statistics page computes medians."""

    __tablename__ = "case_stats"
    __table_args__ = (UniqueConstraint("queue", "category", "week", name="uq_case_stats_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    week: Mapped[str] = mapped_column(String(8))  # e.g. 2026-W10
    opened: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    urgent: Mapped[int] = mapped_column(Integer, default=0)
    first_response_seconds: Mapped[str] = mapped_column(Text, default="[]")
