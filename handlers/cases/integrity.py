"""Integrity reports (bribery, auditor misconduct, someone posing as an auditor): anonymous by
default; the guided questions what, who, when, where, evidence; a receipt code for follow-up."""
from __future__ import annotations

from bot.core.messages import Choice, Reply
from bot.core.texts import t
from handlers.cases import common
from handlers.cases.texts import INTEGRITY_CATEGORIES, INTEGRITY_CATEGORY_TEXT, REPORT_LABEL_TEXT, REPORT_QUESTION_TEXT
from handlers.context import Context, Input
from handlers.registry import command, flow

FLOW = "report"
QUESTIONS = ["what", "who", "when", "where", "evidence"]  # the story first: reporters typed it into "who"
OPTIONAL = {"who", "when", "where", "evidence"}


def categories(ctx: Context, key: str = "report_category") -> Reply:
    return Reply(ctx.t(key), tuple(Choice(f"{FLOW}:cat:{c}", ctx.t(INTEGRITY_CATEGORY_TEXT[c])) for c in INTEGRITY_CATEGORIES))


def ask(ctx: Context, question: str) -> Reply:
    choices = (Choice(f"{FLOW}:skip", ctx.t("case_skip")),) if question in OPTIONAL else ()
    if question == "evidence":
        text = ctx.t("report_q.evidence", photos=ctx.t("report_photos") if common.photos_allowed(ctx) else "")
        if ctx.data.get("evidence") or ctx.data.get("att"):
            choices = (Choice(f"{FLOW}:done", ctx.t("case_done")),)
        return Reply(text, choices)
    return Reply(ctx.t(REPORT_QUESTION_TEXT[question]), choices)


def _next(ctx: Context, after: str) -> list[Reply]:
    if common.corrected(ctx):
        return [_confirm(ctx)]
    i = QUESTIONS.index(after)
    if i + 1 < len(QUESTIONS):
        ctx.goto(QUESTIONS[i + 1])
        return [ask(ctx, QUESTIONS[i + 1])]
    ctx.goto("notify")
    return [common.ask_notify(ctx, FLOW)]


@command("report")
async def report(ctx: Context, arg: str) -> list[Reply]:
    refused = common.private_only(ctx)
    if refused:
        return refused
    common.begin(ctx, FLOW, "category", {"att": []})
    return [common.privacy_notice(ctx, common.INTEGRITY), categories(ctx)]


@flow(FLOW)
async def report_step(ctx: Context, inp: Input) -> list[Reply]:
    common.keep_lang(ctx)
    step, choice = ctx.step, inp.choice or ""
    if step == "category":
        category = common.picked_category(choice, FLOW, INTEGRITY_CATEGORIES)
        if category:
            ctx.data["category"] = category
            if common.corrected(ctx):
                return [_confirm(ctx)]
            ctx.goto(QUESTIONS[0])
            return [ask(ctx, QUESTIONS[0])]
        out, kept = common.collect(ctx, inp, "what")
        return out + [categories(ctx, "helpline_kept_text" if kept else "case_choose_above")]
    if step in QUESTIONS:
        return _answer(ctx, inp, step, choice)
    return await common.notify_and_confirm(ctx, inp, FLOW, common.INTEGRITY, _confirm, lambda: body(ctx.data),
                                           FIELDS, lambda field: _reask(ctx, field))


# what the review lets the reporter correct, in the order of the report
FIELDS = {"category": "case_field.category", **REPORT_LABEL_TEXT, "notify": "case_field.notify"}


def _reask(ctx: Context, field: str) -> list[Reply]:
    """Ask one part again; its new answer replaces the old one."""
    ctx.goto(field)
    if field == "category":
        return [categories(ctx)]
    ctx.data[field] = []
    return [ask(ctx, field)]


def _answer(ctx: Context, inp: Input, step: str, choice: str) -> list[Reply]:
    if choice in (f"{FLOW}:skip", f"{FLOW}:done") and (step in OPTIONAL or ctx.data.get(step)):
        return _next(ctx, step)
    out, kept = common.collect(ctx, inp, step)
    if not kept:
        return out + [ask(ctx, step)]
    if step == "evidence":  # several messages and photos: until Done
        return out + [ask(ctx, step)]
    return out + _next(ctx, step)


def body(data: dict) -> str:
    """The report as staff read it, one labelled section per answered question."""
    sections = []
    for q in QUESTIONS:
        answer = "\n".join(data.get(q, []))
        if answer:
            sections.append(f"{t(REPORT_LABEL_TEXT[q], 'en')}: {answer}")
    return "\n\n".join(sections)


def _confirm(ctx: Context) -> Reply:
    label = ctx.t(INTEGRITY_CATEGORY_TEXT[ctx.data['category']])
    return common.confirm(ctx, FLOW, common.INTEGRITY, label, body(ctx.data), correctable=True)
