"""What the knowledge base lacks: FAQ questions the bot could not answer with confidence, and
"Misanswered" ones (the asker said the answer did not help; shown with the answer given), for the
helpdesk (and admins). Only FAQ questions are ever recorded (`handlers/faq.py`), never helpline or
integrity text, and with no link to who asked; the text is decrypted here for display only."""
from __future__ import annotations

from aiohttp import web
from sqlalchemy import func, select

from bot.core.models.cases import ADMIN, HELPDESK
from bot.core.models.insights import UnansweredQuestion
from bot.staff import SIGNED_IN, page_number, render, runtime

PAGE_SIZE = 50
LANGS = ("en", "zh")
NO_TOPIC = "-"  # the filter value for questions with no suggested topic
KINDS = ("unanswered", "misanswered")  # not answered with confidence; answered, but "Did this help?" → No


def _allowed(request: web.Request) -> None:
    if request[SIGNED_IN].role not in (HELPDESK, ADMIN):
        raise web.HTTPNotFound()


def _topic_title(request: web.Request, topic: str | None) -> str:
    kb = runtime(request).services.kb
    return kb.title(topic, "en") if topic and topic in kb.by_id else ""


async def questions_page(request: web.Request) -> web.Response:
    _allowed(request)
    lang = request.query.get("lang", "")
    topic = request.query.get("topic", "")[:64]
    if not topic.isprintable():  # PostgreSQL refuses NUL characters in a parameter
        topic = ""
    where = []
    if lang in LANGS:
        where.append(UnansweredQuestion.lang == lang)
    else:
        lang = ""
    kind = request.query.get("kind", "")
    if kind in KINDS:
        where.append(UnansweredQuestion.misanswered.is_(kind == "misanswered"))
    else:
        kind = ""
    if topic == NO_TOPIC:
        where.append(UnansweredQuestion.best_topic.is_(None))
    elif topic:
        where.append(UnansweredQuestion.best_topic == topic)
    page = page_number(request)
    secrets = runtime(request).services.secrets
    async with runtime(request).db.session() as s:
        rows = (await s.execute(select(UnansweredQuestion).where(*where)
                                .order_by(UnansweredQuestion.created_at.desc(), UnansweredQuestion.id.desc())
                                .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))).scalars().all()
        total = (await s.execute(select(func.count()).select_from(UnansweredQuestion).where(*where))).scalar_one()
        by_topic = (await s.execute(select(UnansweredQuestion.best_topic, func.count())
                                    .group_by(UnansweredQuestion.best_topic))).all()
        by_lang = dict((await s.execute(select(UnansweredQuestion.lang, func.count())
                                        .group_by(UnansweredQuestion.lang))).all())
    items = [{"q": q, "text": secrets.decrypt(q.text_enc), "title": _topic_title(request, q.best_topic),
              "answer": secrets.decrypt(q.answer_enc) if q.answer_enc else ""} for q in rows]
    topics = sorted(((t or NO_TOPIC, _topic_title(request, t), n) for t, n in by_topic), key=lambda x: (-x[2], x[0]))
    return render(request, "questions.html", {
        "items": items, "lang": lang, "topic": topic, "kind": kind, "KINDS": KINDS,
 "langs": [(code, by_lang.get(code, 0)) for code in LANGS],
        "topics": topics, "NO_TOPIC": NO_TOPIC,
        "page": page, "pages": max(1, -(-total // PAGE_SIZE)), "total": total,
    })


def add_routes(app: web.Application) -> None:
    app.router.add_get("/questions", questions_page, name="questions")
