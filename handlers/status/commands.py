"""`/status`, `/bind CODE` and `/unbind`: a chat account linked to its factory sees that
factory's record and no other."""
from __future__ import annotations

import logging
import re
from datetime import timedelta

from prometheus_client import Counter

from bot.core import messages as m
from bot.core.messages import Choice, Reply
from bot.core.metrics import REGISTRY
from bot.services import bindings, throttle
from bot.services.bindings import normalise_code
from handlers.context import Context
from handlers.core import helpdesk_contacts
from handlers.registry import COMMANDS, command
from handlers.status.report import factory_name, status_report
from knowledge.text import detect_lang

log = logging.getLogger(__name__)

# Guessing limits: a person mistyping gets 5 tries an hour. All accounts together get 1,000 an
# hour; past that ceiling an account's first try of the hour is still heard (so a flood from
# many accounts cannot lock everyone else out), its further tries wait. 8 characters of base 32
# make 2**40 codes: guessing a live one is hopeless at that pace (docs/operations.md gives the figures).
ACCOUNT_LIMIT, ACCOUNT_WINDOW = 5, timedelta(hours=1)
GLOBAL_LIMIT, GLOBAL_WINDOW = 1000, timedelta(hours=1)

BIND_ATTEMPTS = Counter("etp_binding_attempts_total", "Binding codes sent by users", ["outcome"], registry=REGISTRY)

# what may stand between "绑定" and the code: "绑定码：ABCD-EFGH", "bind code ABCD-EFGH"
_CODE_LEAD = re.compile(r"^(?:绑定码|码|code)?\s*[:：]?\s*", re.IGNORECASE)


def _use_question_lang(ctx: Context) -> None:
    """A Chinese message gets a Chinese answer, as in the FAQ."""
    ctx.lang = detect_lang(ctx.incoming.text or "", ctx.contact.lang)


def _contact_log_id(ctx: Context) -> str:
    return ctx.secrets.log_id(ctx.contact.key_hash)




def _topic_choices(ctx: Context, topics: list[str]) -> list[Choice]:
    """The knowledge base's explanation of a status, offered as a choice when it has one."""
    kb = ctx.kb
    return [Choice(f"faq:{t}", kb.title(t, ctx.lang)) for t in dict.fromkeys(topics) if t in kb.by_id]


@command("status")
async def status(ctx: Context, arg: str) -> list[Reply]:
    _use_question_lang(ctx)
    factories = await bindings.bound_factories(ctx.session, ctx.contact.id)
    topics = [f"status.{f.status}" for f in factories] or ["status.overview"]
    choices = (*_topic_choices(ctx, topics), Choice("auditor", ctx.t("auditor.menu")),
               Choice("menu", ctx.t("status.menu")))
    if not factories:
        return [Reply(ctx.t("status.unbound", **helpdesk_contacts(ctx)), choices)]
    today = ctx.services.today()
    replies = [Reply(status_report(f, ctx.kb.facts, today, ctx.lang)) for f in factories]
    replies[-1] = Reply(replies[-1].text, choices)
    return replies


async def _within_limits(ctx: Context) -> bool:
    """Count this attempt for the account and for everyone. False when the account is over its
    limit, or when everyone together is over the ceiling and this is not the account's first
    try of the hour."""
    mine = await throttle.count(ctx.session, ctx.secrets, f"bind:contact:{ctx.contact.id}", ACCOUNT_WINDOW, ctx.now)
    if mine > ACCOUNT_LIMIT:
        return False
    everyone = await throttle.count(ctx.session, ctx.secrets, "bind:global", GLOBAL_WINDOW, ctx.now)
    return everyone <= GLOBAL_LIMIT or mine == 1


def _code_in(arg: str) -> str | None:
    return normalise_code(_CODE_LEAD.sub("", arg.strip()))


@command("bind")
async def bind(ctx: Context, arg: str) -> list[Reply]:
    _use_question_lang(ctx)
    text = (ctx.incoming.text or "").strip()
    contacts = helpdesk_contacts(ctx)
    if not arg:
        return [Reply(ctx.t("bind.ask", **contacts))]
    code = _code_in(arg)
    if code is None:
        if text.lower().startswith("/bind"):
            return [Reply(ctx.t("bind.format"))]
        if text.lower().startswith("/start") or ctx.incoming.kind == m.EVENT:
            return await COMMANDS["start"].handler(ctx, "")  # a deep link or QR scene that is not a code
        return await COMMANDS["faq"].handler(ctx, text)  # "绑定码怎么获取？" is a question, not a code
    if not await _within_limits(ctx):
        BIND_ATTEMPTS.labels("throttled").inc()
        log.warning("binding attempt throttled", extra={"event": "bind_throttled", "contact": _contact_log_id(ctx)})
        return [Reply(ctx.t("bind.throttled", **contacts))]
    redeemed = await bindings.redeem_code(ctx.session, ctx.secrets, ctx.contact, code, now=ctx.now)
    if redeemed is None:
        BIND_ATTEMPTS.labels("invalid").inc()
        log.info("binding code refused", extra={"event": "bind_refused", "contact": _contact_log_id(ctx)})
        return [Reply(ctx.t("bind.invalid", **contacts))]
    f = redeemed.factory
    BIND_ATTEMPTS.labels("already" if redeemed.already else "bound").inc()
    log.info("binding code accepted", extra={"event": "bound", "contact": _contact_log_id(ctx),
                                             "factory_pk": f.id, "again": redeemed.already})
    key = "bind.already" if redeemed.already else "bind.ok"
    return [Reply(ctx.t(key, name=factory_name(f, ctx.lang), factory_id=f.factory_id),
                  (Choice("status", ctx.t("menu.status")), Choice("menu", ctx.t("status.menu"))))]


@command("unbind")
async def unbind(ctx: Context, arg: str) -> list[Reply]:
    _use_question_lang(ctx)
    factories = await bindings.bound_factories(ctx.session, ctx.contact.id)
    if not factories:
        return [ctx.reply("unbind.none")]
    chosen = [f for f in factories if arg.strip() in ("all", f.factory_id)] if arg.strip() else factories
    if len(chosen) > 1 and arg.strip() != "all" or not chosen:
        options = [Choice(f"unbind:{f.factory_id}", f"{factory_name(f, ctx.lang)} ({f.factory_id})") for f in factories]
        return [Reply(ctx.t("unbind.which"), (*options, Choice("unbind:all", ctx.t("unbind.all"))))]
    replies = []
    for f in chosen:  # only this account's own bindings: a forged choice id names nothing else
        await bindings.unbind(ctx.session, ctx.contact.id, f.id, now=ctx.now)
        replies.append(ctx.reply("unbind.done", name=factory_name(f, ctx.lang), factory_id=f.factory_id))
    log.info("binding removed by user", extra={"event": "unbound", "contact": _contact_log_id(ctx),
                                               "count": len(chosen)})
    return replies
