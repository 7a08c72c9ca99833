"""Continuing a case by its reference, from the same or another chat account: the reporter
reads answers waiting for them, then writes more (staff replies then go to this account)."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.core.messages import Choice, Reply
from bot.core.models.cases import HELPDESK, Case
from bot.services import cases, throttle
from bot.services.references import looks_like_reference, normalize
from handlers.cases import common, hours
from handlers.cases.texts import CASE_STATUS_TEXT
from handlers.context import Context, Input
from handlers.registry import COMMANDS, command, flow, matcher

FLOW = "case"
CASE_LANGS = ("en", "zh")
# reference look-ups per account and hour, right or wrong: a right one must not slip through
# once an account is over the limit, and ten an hour is plenty for a reporter checking back
LOOKUP_LIMIT = 10
LOOKUP_WINDOW = timedelta(hours=1)
# what the reporter writes after opening a case is added to it until they leave, use a command
# or stay silent this long (later questions then go to the FAQ, not into the case)
FOLLOW_UP_TTL = timedelta(hours=2)


def _throttle_key(ctx: Context) -> str:
    return f"case-ref:{ctx.contact.id}"


@command("case")
async def case_command(ctx: Context, arg: str) -> list[Reply]:
    if not arg.strip():
        common.begin(ctx, FLOW, "ref")
        return [ctx.reply("case_ask_ref")]
    return await open_by_reference(ctx, arg)


@matcher
def reference_on_its_own(text: str):
    return (COMMANDS["case"], text) if looks_like_reference(text) else None


async def open_by_reference(ctx: Context, typed: str) -> list[Reply]:
    now = ctx.now
    if not await throttle.hit(ctx.session, ctx.secrets, _throttle_key(ctx), LOOKUP_LIMIT, LOOKUP_WINDOW, now=now):
        return [ctx.reply("case_throttled")]
    case = await cases.find_case(ctx.session, ctx.secrets, typed)
    if case is None:
        return [ctx.reply("case_not_found")]
    if case.queue != HELPDESK:
        refused = common.private_only(ctx)
        if refused:
            return refused
    # the case's language, not this account's: a reporter checking back from another phone (whose
    # reference alone says nothing of a language) reads staff answers in the language they wrote in
    if case.lang in CASE_LANGS:
        ctx.lang = case.lang
    receipt = normalize(typed) or typed
    replies = [ctx.reply("case_found", ref=receipt, status=ctx.t(CASE_STATUS_TEXT[case.status]))]
    # the receipt opens the case key: staff answers are read without any staff member present
    private = await asyncio.to_thread(cases.private_for_reporter, case, receipt)  # Argon2id
    waiting = await cases.replies_not_delivered(ctx.session, case)
    shown = []
    for message in waiting:
        body = cases.read(ctx.secrets, private, message.body_enc)
        if body is None:
            continue
        when = hours.format_local(message.created_at.astimezone(ctx.services.tz), ctx.lang)
        replies.append(ctx.reply("case_reply_shown", when=when, body=body))
        shown.append(message)
    await cases.mark_seen(ctx.session, shown, now)
    common.begin(ctx, FLOW, "write", {"case": case.id}, ttl=FOLLOW_UP_TTL)
    replies.append(Reply(ctx.t("case_write_more"), (Choice(f"{FLOW}:done", ctx.t("case_finished")),)))
    return replies


@flow(FLOW, expired_text=None)  # its messages are already in the case
async def case_step(ctx: Context, inp: Input) -> list[Reply]:
    if ctx.step == "write" and ctx.data.get("lang") in CASE_LANGS:
        ctx.lang = ctx.data["lang"]  # the case's language, kept while writing to it
    else:
        common.keep_lang(ctx)
    if ctx.step == "ref":
        if not inp.text.strip():
            return [ctx.reply("case_ask_ref")]
        return await open_by_reference(ctx, inp.text)
    if inp.choice == f"{FLOW}:done":
        ctx.end_flow()
        return [ctx.reply("case_left")]
    case = await ctx.session.get(Case, ctx.data.get("case"))
    if case is None:  # purged meanwhile
        ctx.end_flow()
        return [ctx.reply("case_not_found")]
    out, kept = common.collect(ctx, inp)
    if not kept:
        return out + [Reply(ctx.t("case_write_more"), (Choice(f"{FLOW}:done", ctx.t("case_finished")),))]
    text = "\n\n".join(ctx.data.pop("parts", []))
    attachments = ctx.data.pop("att", [])
    await cases.add_reporter_message(ctx.session, ctx.secrets, case, contact_id=ctx.contact.id,
                                     body=text or "(photo)", attachments=attachments, now=ctx.now,
                                     urgent=bool(ctx.data.pop("urgent", False)))
    when = common.when_answered(ctx, case.queue)
    return out + [Reply(ctx.t("case_added", when=when), (Choice(f"{FLOW}:done", ctx.t("case_finished")),))]
