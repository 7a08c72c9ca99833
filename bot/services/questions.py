"""Questions the knowledge base did not answer (or answered wrongly), kept for the staff
Questions page: encrypted, with no link to who asked."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.models.insights import UnansweredQuestion

# built once: a batch's questions, one statement
_INSERT = insert(UnansweredQuestion.__table__)


def defer_question_inserts(session: AsyncSession) -> None:
    """Until `insert_questions`, the questions `add_question` keeps are inserted together, in one
    statement, instead of by the ORM's flush at the look-up that follows each (the inbox's batch:
    nothing in it reads them). Only for a transaction that stands or falls as one: a savepoint
    rolled back would not undo them."""
    session.info["question_rows"] = []


def add_question(session: AsyncSession, *, text_enc: str, lang: str, confidence: float, best_topic: str | None,
                 ambiguous: bool, created_at: datetime, misanswered: bool = False,
                 answer_enc: str | None = None) -> None:
    row = {"text_enc": text_enc, "lang": lang, "confidence": confidence, "best_topic": best_topic,
           "ambiguous": ambiguous, "misanswered": misanswered, "answer_enc": answer_enc, "created_at": created_at}
    deferred: list[dict] | None = session.info.get("question_rows")
    if deferred is None:
        session.add(UnansweredQuestion(**row))
    else:
        deferred.append(row)


async def insert_questions(session: AsyncSession) -> None:
    """The deferred questions (`defer_question_inserts`), one statement; no longer deferred after it."""
    rows: list[dict] = session.info.pop("question_rows", None) or []
    if rows:
        await session.execute(_INSERT, rows)
