"""Free-text questions answered from the knowledge base; unsure answers offer a person."""
from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.messages import Choice, Reply
from bot.core.metrics import UNANSWERED
from bot.core.models.cases import HELPLINE, INTEGRITY
from bot.services import cases
from bot.services.questions import add_question
from handlers.cases import helpline
from handlers.context import Context
from handlers.registry import COMMANDS, command
from knowledge.text import detect_lang

FAQ_BROWSE = 8  # topics shown when the user opens the FAQ from the menu
EMERGENCY_TOPIC = "safety.emergency"
HELPLINE_TOPIC = "contacts.helpline"  # also what a worker's own question is answered with
# "Did this help?" after an answer of the FAQ: choice args of `faq` (topic ids always have a dot)
HELPED, NOT_HELPED = "helped", "not_helped"
LAST = "faq_last"  # the last answered question, kept (encrypted, with the conversation) for "No"
LAST_TTL = timedelta(hours=6)


def _reply_for(ctx: Context, answer) -> Reply:
    if answer.topic == HELPLINE_TOPIC:  # workers first: the in-chat helpline, not the helpdesk
        return Reply(f"{answer.answer}\n{ctx.t('helpline_in_chat')}", (helpline.write_here(ctx),))
    choices = [Choice(f"faq:{s.topic}", s.title) for s in answer.suggestions]
    if answer.handoff and "human" in COMMANDS:
        choices.append(Choice("human", ctx.t("menu.human")))
    return Reply(answer.answer, tuple(choices))


def _worker_reply(ctx: Context) -> Reply:
    text = ctx.kb.worker_helpline_text(ctx.lang)
    return Reply(f"{text}\n{ctx.t('helpline_in_chat')}", (helpline.write_here(ctx),))


@command("faq")
async def faq(ctx: Context, arg: str) -> list[Reply]:
    """`faq` alone opens the FAQ; `faq:TOPIC` (a picked suggestion) answers that topic;
    any other text is a question."""
    kb = ctx.kb
    today = ctx.services.today()
    if not arg:
        topics = kb.topics(ctx.lang)[:FAQ_BROWSE]
        return [Reply(ctx.t("faq_prompt"), tuple(Choice(f"faq:{s.topic}", s.title) for s in topics))]
    if arg in (HELPED, NOT_HELPED):
        return await _feedback(ctx, arg == HELPED)
    ctx.data.pop(LAST, None)  # "Did this help?" is about the last answer only
    if arg in kb.by_id:
        return [_reply_for(ctx, kb.answer_topic(arg, lang=ctx.lang, today=today))]
    lang = detect_lang(arg, ctx.contact.lang)
    ctx.lang = lang
    answer = kb.answer(arg, lang=lang, today=today)
    if answer.topic == EMERGENCY_TOPIC:  # urgent words: emergency guidance, then the helpline
        return [Reply(answer.answer), helpline.offer_urgent(ctx, arg)]
    if answer.topic is None and kb.worker_trouble(arg, factory_questions=False):
        # written like a worker's complaint, yet declined or unsure: the helpline, not the helpdesk
        return [_worker_reply(ctx)]
    if answer.topic is None and kb.is_reporter_followup(arg):
        # a reporter writing again without the reference: ask for it; staff never see this text
        UNANSWERED.labels(answer.lang).inc()
        return [ctx.reply("faq_reporter_followup"), _reply_for(ctx, answer)]
    if answer.topic is None:
        await _record_unanswered(ctx, arg, answer)
        return [_reply_for(ctx, answer)]
    return [_ask_if_helped(ctx, arg, answer, _reply_for(ctx, answer))]


def _ask_if_helped(ctx: Context, question: str, answer, reply: Reply) -> Reply:
    """A confident FAQ answer ends with "Did this help?" (Yes / No choices the user may ignore;
    no extra step). Not after the helpline or the emergency guidance, nor words a staff member
    must not read (urgent words, a worker's complaint): those are never kept."""
    if answer.topic in (HELPLINE_TOPIC, EMERGENCY_TOPIC) or ctx.flow or any(c.id != "human" for c in reply.choices):
        return reply
    if ctx.kb.is_urgent(question) or ctx.kb.worker_trouble(question, factory_questions=False):
        return reply
    ctx.data[LAST] = {"q": question[:1000], "a": answer.answer[:2000], "topic": answer.topic, "lang": answer.lang,
                      "confidence": float(answer.confidence), "at": ctx.now.isoformat()}
    return Reply(f"{reply.text}\n\n{ctx.t('faq_did_it_help')}",
                 (Choice(f"faq:{HELPED}", ctx.t("faq_helped.yes")), Choice(f"faq:{NOT_HELPED}", ctx.t("faq_helped.no")),
                  *reply.choices))


async def _feedback(ctx: Context, helped: bool) -> list[Reply]:
    """Yes: thanks. No: the question and the answer given go to the staff Questions page as
    Misanswered (unless this account reports to the helpline or the integrity team), and a person
    is offered."""
    last = ctx.data.pop(LAST, None)
    if isinstance(last, dict) and last.get("lang") in ("en", "zh"):
        ctx.lang = last["lang"]
    if helped:
        return [ctx.reply("faq_thanks")]
    fresh = isinstance(last, dict) and "at" in last and ctx.now - datetime.fromisoformat(last["at"]) <= LAST_TTL
    if fresh and not await _reports_from(ctx):
        add_question(ctx.session, text_enc=ctx.secrets.encrypt(last["q"]), lang=last["lang"],
                     confidence=float(last["confidence"]), best_topic=last["topic"], ambiguous=False,
                     misanswered=True, answer_enc=ctx.secrets.encrypt(last["a"]), created_at=ctx.now)
    choices = (Choice("human", ctx.t("menu.human")),) if "human" in COMMANDS else ()
    return [Reply(ctx.t("faq_not_helped"), choices)]


async def _record_unanswered(ctx: Context, text: str, answer) -> None:
    """Keep the question (encrypted, with no link to the asker) for staff to see what the
    knowledge base lacks: unless it may be a reporter's words. A worker who wrote to the helpline
    or an integrity reporter often answers staff without sending the reference first; that text
    lands here, and must never reach the helpdesk's page."""
    UNANSWERED.labels(answer.lang).inc()
    if ctx.kb.is_urgent(text) or ctx.kb.worker_trouble(text, factory_questions=False) or await _reports_from(ctx):
        return
    best = answer.suggestions[0].topic if answer.suggestions else None
    add_question(ctx.session, text_enc=ctx.secrets.encrypt(text[:1000]), lang=answer.lang,
                 confidence=float(answer.confidence), best_topic=best, ambiguous=not answer.handoff,
                 created_at=ctx.now)


async def _reports_from(ctx: Context) -> bool:
    """This chat account is the one a helpline or integrity case answers to."""
    if ctx.contact.id is None:
        return False
    return await cases.has_case_linked(ctx.session, ctx.secrets, ctx.contact.id, [HELPLINE, INTEGRITY])
