"""Free-text questions answered from the knowledge base; unsure answers offer a person."""
from __future__ import annotations

from .context import Context
from .lang import has_cjk
from .messages import Choice, Reply
from .registry import COMMANDS, command

FAQ_BROWSE = 8  # topics shown when the user opens the FAQ from the menu


def answer_lang(ctx: Context, text: str) -> str:
    """Chinese questions get Chinese answers; otherwise the contact's language."""
    return "zh" if has_cjk(text) else (ctx.contact.lang or "en")


def _reply_for(ctx: Context, answer) -> Reply:  # noqa: ANN001 - knowledge.Answer
    choices = [Choice(f"faq:{s.topic}", s.title) for s in answer.suggestions]
    if answer.handoff and "human" in COMMANDS:
        choices.append(Choice("human", ctx.t("menu.human")))
    return Reply(answer.answer, tuple(choices))


@command("faq", aliases=["faq", "常见问题", "问题"])
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
    lang = answer_lang(ctx, arg)
    ctx.lang = lang
    answer = kb.answer(arg, lang=lang, today=today)
    ctx.faq_answer = answer  # seen by metrics and the unanswered-questions record
    return [_reply_for(ctx, answer)]
