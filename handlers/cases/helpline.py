"""The worker helpline: category → the worker's own words (and photos) → how to hear back →
confirm → a case reference and when a person will answer."""
from __future__ import annotations

from bot.core.messages import Choice, Reply
from handlers.cases import common
from handlers.cases.texts import HELPLINE_CATEGORIES, HELPLINE_CATEGORY_TEXT
from handlers.context import Context, Input
from handlers.registry import command, flow

FLOW = "helpline"
URGENT_CATEGORY = "support"  # what an urgent message sent in one step is filed under


def categories(ctx: Context, key: str = "helpline_category") -> Reply:
    return Reply(ctx.t(key), tuple(Choice(f"{FLOW}:cat:{c}", ctx.t(HELPLINE_CATEGORY_TEXT[c])) for c in HELPLINE_CATEGORIES))


def ask_message(ctx: Context) -> Reply:
    photos = ctx.t("helpline_photos") if common.photos_allowed(ctx) else ""
    return Reply(ctx.t("helpline_message", photos=photos).strip())


def helpline_contacts(ctx: Context) -> dict[str, str]:
    c = ctx.kb.facts.contacts.helpline
    return {"phone": c.phone, "hours": c.hours, "days": (c.days_zh if ctx.lang == "zh" else c.days_en) or ""}


def offer_urgent(ctx: Context, text: str) -> Reply:
    """After the emergency guidance, outside a flow: the Worker Helpline first. One choice sends
    what the worker wrote to the helpline queue as an urgent case; the number and hours are there
    for a call. Nothing is sent unless the worker picks it; in a group chat no draft is kept."""
    if not ctx.incoming.private:
        return ctx.reply("helpline_urgent_call", **helpline_contacts(ctx))
    common.begin(ctx, FLOW, "urgent", {"parts": [text.strip()], "att": [], "urgent": True})
    return Reply(ctx.t("helpline_urgent_offer", **helpline_contacts(ctx)),
                 (Choice(f"{FLOW}:urgent", ctx.t("helpline_urgent_send")),))


def write_here(ctx: Context) -> Choice:
    return Choice(FLOW, ctx.t("helpline_write_here"))


@command("helpline")
async def helpline(ctx: Context, arg: str) -> list[Reply]:
    refused = common.private_only(ctx)
    if refused:
        return refused
    common.begin(ctx, FLOW, "category", {"parts": [], "att": []})
    return [common.privacy_notice(ctx, common.HELPLINE), categories(ctx)]


@flow(FLOW)
async def helpline_step(ctx: Context, inp: Input) -> list[Reply]:
    common.keep_lang(ctx)
    step, choice = ctx.step, inp.choice or ""
    if step == "urgent":  # offered after the emergency guidance: one step to an urgent case
        if choice == f"{FLOW}:urgent":
            ctx.data["category"] = URGENT_CATEGORY
            return await common.submit(ctx, common.HELPLINE, URGENT_CATEGORY, _body(ctx))
        out, _kept = common.collect(ctx, inp)  # the worker goes on telling: all of it is sent
        return out + [Reply(ctx.t("helpline_urgent_offer", **helpline_contacts(ctx)),
                            (Choice(f"{FLOW}:urgent", ctx.t("helpline_urgent_send")),))]
    if step == "category":
        category = common.picked_category(choice, FLOW, HELPLINE_CATEGORIES)
        if category:
            ctx.data["category"] = category
            if common.corrected(ctx):
                return [_confirm(ctx)]
            ctx.goto("message")
            return [common.add_more(ctx, FLOW) if ctx.data.get("parts") else ask_message(ctx)]
        out, kept = common.collect(ctx, inp)  # the worker started telling: keep it, ask again
        return out + [categories(ctx, "helpline_kept_text" if kept else "case_choose_above")]
    if step == "message":
        if choice == f"{FLOW}:done":
            if not ctx.data.get("parts"):
                return [ctx.reply("case_need_text"), ask_message(ctx)]
            if common.corrected(ctx):
                return [_confirm(ctx)]
            ctx.goto("notify")
            return [common.ask_notify(ctx, FLOW)]
        out, kept = common.collect(ctx, inp)
        return out + [common.add_more(ctx, FLOW) if kept else ask_message(ctx)]
    return await common.notify_and_confirm(ctx, inp, FLOW, common.HELPLINE, _confirm, lambda: _body(ctx),
                                           FIELDS, lambda field: _reask(ctx, field))


FIELDS = {"category": "case_field.category", "message": "case_field.message", "notify": "case_field.notify"}


def _reask(ctx: Context, field: str) -> list[Reply]:
    """Ask one part again; the new words replace the old ones (photos are kept)."""
    ctx.goto(field)
    if field == "category":
        return [categories(ctx)]
    ctx.data["parts"] = []
    return [ask_message(ctx)]


def _body(ctx: Context) -> str:
    return "\n\n".join(ctx.data.get("parts", []))


def _confirm(ctx: Context) -> Reply:
    label = ctx.t(HELPLINE_CATEGORY_TEXT[ctx.data['category']])
    return common.confirm(ctx, FLOW, common.HELPLINE, label, _body(ctx), correctable=True)
