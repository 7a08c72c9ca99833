""""Talk to staff" (and the FAQ's offer of a person when unsure): a helpdesk case."""
from __future__ import annotations

from bot.core import metrics
from bot.core.messages import Choice, Reply
from handlers.cases import common, helpline
from handlers.cases.texts import HELPDESK_CATEGORY, HELPDESK_CATEGORY_TEXT
from handlers.context import Context, Input
from handlers.registry import command, flow

FLOW = "human"


@command("human")
async def human(ctx: Context, arg: str) -> list[Reply]:
    common.begin(ctx, FLOW, "message", {"parts": [], "att": []})
    if arg.strip():  # "/human my question…" goes straight to confirmation
        ctx.data["parts"].append(arg.strip())
        ctx.goto("confirm")
        return common.urgent_check(ctx, arg) + [_confirm(ctx)]
    return [ctx.reply("human_prompt")]


@flow(FLOW)
async def human_step(ctx: Context, inp: Input) -> list[Reply]:
    common.keep_lang(ctx)
    if ctx.step == "message":
        out, kept = common.collect(ctx, inp)
        if not ctx.data.get("parts"):
            return out + [ctx.reply("human_prompt")]
        ctx.goto("confirm")
        return out + [_confirm(ctx)]
    if inp.choice == f"{FLOW}:to_helpline" and _for_the_helpline(ctx):
        # a worker's words (or urgent ones) on their way to the helpdesk: the helpline instead
        metrics.HANDOFFS.labels(reason="helpline").inc()
        return await common.submit(ctx, common.HELPLINE, helpline.URGENT_CATEGORY, _body(ctx))
    if inp.choice == f"{FLOW}:send":
        metrics.HANDOFFS.labels(reason="human").inc()
        return await common.submit(ctx, common.HELPDESK, HELPDESK_CATEGORY, _body(ctx))
    out, _kept = common.collect(ctx, inp)  # more words before sending: added to the question
    return out + [_confirm(ctx)]


def _body(ctx: Context) -> str:
    return "\n\n".join(ctx.data.get("parts", []))


def _for_the_helpline(ctx: Context) -> bool:
    """Urgent words, or a message written like a worker's complaint, in a private chat."""
    return ctx.incoming.private and bool(
        ctx.data.get("urgent") or ctx.kb.worker_trouble(_body(ctx), factory_questions=False))


def _confirm(ctx: Context) -> Reply:
    confirm = common.confirm(ctx, FLOW, common.HELPDESK, ctx.t(HELPDESK_CATEGORY_TEXT[HELPDESK_CATEGORY]),
                             _body(ctx))
    if not _for_the_helpline(ctx):
        return confirm
    hint = ctx.t("human_worker_hint", **helpline.helpline_contacts(ctx))
    return Reply(f"{hint}\n\n{confirm.text}",
                 (Choice(f"{FLOW}:to_helpline", ctx.t("human_to_helpline")), *confirm.choices))
