"""Free-text questions answered from the knowledge base; unsure answers offer a person."""
from __future__ import annotations

from bot.core.messages import Choice, Reply
from bot.core.metrics import UNANSWERED
from bot.core.models.cases import HELPLINE, INTEGRITY
from bot.core.models.insights import UnansweredQuestion
from bot.services import cases
from handlers.cases import helpline
from handlers.context import Context
from handlers.lang import answer_lang
from handlers.registry import COMMANDS, command

FAQ_BROWSE = 8  # topics shown when the user opens the FAQ from the menu
EMERGENCY_TOPIC = "safety.emergency"
HELPLINE_TOPIC = "contacts.helpline"  # also what a worker's own question is answered with


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
    if arg in kb.by_id:
        return [_reply_for(ctx, kb.answer_topic(arg, lang=ctx.lang, today=today))]
    lang = answer_lang(arg, ctx.contact.lang)
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


async def _record_unanswered(ctx: Context, text: str, answer) -> None:
    """Keep the question (encrypted, with no link to the asker) for staff to see what the
    knowledge base lacks: unless it may be a reporter's words. A worker who wrote to the helpline
    or an integrity reporter often answers staff without sending the reference first; that text
    lands here, and must never reach the helpdesk's page."""
    UNANSWERED.labels(answer.lang).inc()
    if ctx.kb.is_urgent(text) or ctx.kb.worker_trouble(text, factory_questions=False) or await _reports_from(ctx):
        return
    best = answer.suggestions[0].topic if answer.suggestions else None
    ctx.session.add(UnansweredQuestion(
        text_enc=ctx.secrets.encrypt(text[:1000]), lang=answer.lang, confidence=float(answer.confidence),
        best_topic=best, ambiguous=not answer.handoff, created_at=ctx.now,
    ))


async def _reports_from(ctx: Context) -> bool:
    """This chat account is the one a helpline or integrity case answers to."""
    if ctx.contact.id is None:
        return False
    return await cases.has_case_linked(ctx.session, ctx.secrets, ctx.contact.id, [HELPLINE, INTEGRITY])
