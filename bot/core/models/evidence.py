"""Evidence kept with a case: the photos and documents a reporter sent, fetched from the platform
(whose copy expires: WeChat's temporary media after three days) and stored here encrypted, with
their metadata (EXIF, GPS) removed. One row per attachment of a case message; the row exists
from the moment the message is stored, and its fetch is an outbox job (`kind="evidence"`).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, UTCDateTime, utcnow

# states of a piece of evidence
PENDING = "pending"  # being fetched from the platform (the outbox retries)
KEPT = "kept"  # stored here; the platform's copy is no longer needed
REFUSED = "refused"  # not a type kept (JPEG, PNG, WebP, PDF) or too large: not stored
GONE = "gone"  # the platform no longer has it (expired) or will not give it
EVIDENCE_STATES = (PENDING, KEPT, REFUSED, GONE)


class CaseEvidence(Base):
    __tablename__ = "case_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("case_messages.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # the platform it came from
    # the platform's id (WeChat MediaId, Telegram file_id), encrypted; cleared once kept
    platform_id_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    content_type: Mapped[str | None] = mapped_column(String(64), nullable=True)  # of what is kept
    size: Mapped[int | None] = mapped_column(Integer, nullable=True)  # bytes kept (before encryption)
    # the file, encrypted (a token of `bot.services.evidence.seal`; `etp-bot keys rotate` re-encrypts it)
    data_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(64), nullable=True)  # why refused or gone
    outbox_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the fetch job
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
