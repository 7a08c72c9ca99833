"""What the knowledge base lacks: FAQ questions that got no confident answer, and those whose
answer the asker said did not help ("Misanswered", with the answer given).

Only the helpdesk FAQ is recorded (never helpline or integrity text), without any link to who
asked; the texts are encrypted like everything users write."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, UTCDateTime, utcnow


class UnansweredQuestion(Base):
    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text_enc: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8))
    confidence: Mapped[float] = mapped_column(Float)
    best_topic: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ambiguous: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)  # newest first; purge
    # the asker said the answer did not help ("Did this help?" → No); best_topic is the topic that
    # answered and answer_enc the answer given
    misanswered: Mapped[bool] = mapped_column(default=False, server_default=false())
    answer_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
