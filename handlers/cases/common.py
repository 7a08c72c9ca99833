"""Steps every case flow shares: private-chat rule, privacy notice, collecting text and photos,
the urgent-words check, the notify choice, confirmation, and opening the case."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.core import messages as m
from bot.core.messages import Choice, Reply
from bot.core.models.cases import HELPDESK, HELPLINE, INTEGRITY, NOTIFY_CHECK_BACK, NOTIFY_MESSAGE
from bot.services import alerts, cases
from bot.services.cases import TEAM_TEXT
from handlers.cases import hours
from handlers.cases.texts import CREATED_NOTIFY_TEXT, NOTIFY_TEXT
from handlers.context import DRAFT_TTL, Context, Input

NOTIFY_CHOICES = (NOTIFY_MESSAGE, NOTIFY_CHECK_BACK)
PREVIEW = 300


def begin(ctx: Context, flow: str, step: str, data: dict | None = None, ttl: timedelta = DRAFT_TTL) -> None:
    """Start a draft; its language is the one it was started in (a button press carries no
    language of its own, and the dialogue detects one per message)."""
    ctx.start_flow(flow, step, {**(data or {}), "lang": ctx.lang}, ttl=ttl)


def keep_lang(ctx: Context) -> None:
    if ctx.contact.lang is None and ctx.data.get("lang") in ("en", "zh"):
        ctx.lang = ctx.data["lang"]


def private_only(ctx: Context) -> list[Reply] | None:
    """Reports are never taken in a group chat (others would read them)."""
    if ctx.incoming.private:
        return None
    return [ctx.reply("case_private_only")]


def privacy_notice(ctx: Context, queue: str) -> Reply:
    return ctx.reply("case_privacy", team=ctx.t(TEAM_TEXT[queue]))


def photos_allowed(ctx: Context) -> bool:
    return ctx.incoming.media_later


def urgent_check(ctx: Context, text: str) -> list[Reply]:
    """Words of self-harm, violence or danger: flag the draft and answer at once (once)."""
    if not text or not ctx.kb.is_urgent(text):
        return []
    first = not ctx.data.get("urgent")
    ctx.data["urgent"] = True
    return [Reply(ctx.kb.emergency_text(ctx.lang))] if first else []


def collect(ctx: Context, inp: Input, field: str = "parts") -> tuple[list[Reply], bool]:
    """Keep a piece of text (appended to `field`) or a photo and its caption; (replies, whether kept)."""
    text = inp.text.strip()
    if inp.incoming.kind == m.IMAGE:
        if not photos_allowed(ctx):
            return [ctx.reply("case_photo_unsupported")], False
        # the platform's ids (WeChat MediaId, Telegram file_id): stored encrypted with the case
        attachment = {"channel": inp.incoming.channel, **{k: str(v) for k, v in inp.incoming.extra.items()}}
        ctx.data.setdefault("att", []).append(attachment)
        out = _keep(ctx, field, text) if text else []
        return out + [ctx.reply("case_photo_received")], True
    if not text or inp.choice:
        return [], False
    return _keep(ctx, field, text), True


def _keep(ctx: Context, field: str, text: str) -> list[Reply]:
    out = urgent_check(ctx, text)
    ctx.data.setdefault(field, []).append(text)
    return out


def add_more(ctx: Context, flow: str) -> Reply:
    photos = ctx.t("case_photos_hint") if photos_allowed(ctx) else ""
    return Reply(ctx.t("case_add_more", photos=photos), (Choice(f"{flow}:done", ctx.t("case_done")),))


def ask_notify(ctx: Context, flow: str) -> Reply:
    return Reply(ctx.t("case_notify_question"),
                 tuple(Choice(f"{flow}:notify:{n}", ctx.t(NOTIFY_TEXT[n])) for n in NOTIFY_CHOICES))


def picked_notify(ctx: Context, inp: Input, flow: str) -> bool:
    prefix = f"{flow}:notify:"
    if inp.choice and inp.choice.startswith(prefix) and inp.choice[len(prefix):] in NOTIFY_CHOICES:
        ctx.data["notify"] = inp.choice[len(prefix):]
        return True
    return False


def confirm(ctx: Context, flow: str, queue: str, category_label: str, body: str, *,
            correctable: bool = False) -> Reply:
    """The review before sending: Send, Change something (flows with fields to correct), Cancel."""
    preview = body if len(body) <= PREVIEW else body[:PREVIEW] + "…"
    notify = ctx.t(NOTIFY_TEXT[ctx.data.get('notify', NOTIFY_MESSAGE)])
    change = (Choice(f"{flow}:change", ctx.t("case_change")),) if correctable else ()
    return Reply(
        ctx.t("case_confirm", category=category_label, preview=preview, notify=notify,
              team=ctx.t(TEAM_TEXT[queue])),
        (Choice(f"{flow}:send", ctx.t("case_send")), *change, Choice("cancel", ctx.t("case_cancel"))),
    )


def fields_menu(ctx: Context, flow: str, fields: dict[str, str]) -> Reply:
    """Which part of the report to correct (``fields``: field id → text key of its name)."""
    return Reply(ctx.t("case_change_which"),
                 (*(Choice(f"{flow}:fix:{f}", ctx.t(key)) for f, key in fields.items()),
                  Choice(f"{flow}:review", ctx.t("case_change_none"))))


def corrected(ctx: Context) -> bool:
    """A field picked for correction has its new answer: the flow goes back to the review."""
    if ctx.data.pop("fixing", None):
        ctx.goto("confirm")
        return True
    return False


def when_answered(ctx: Context, queue: str) -> str:
    contacts = ctx.kb.facts.contacts
    if queue == HELPLINE:
        opens, holiday = hours.next_opening(ctx.kb, ctx.services.tz, ctx.now)
        start, end = hours.helpline_hours(ctx.kb)
        span = f"{start:%H:%M}-{end:%H:%M}"
        if opens is None:
            return ctx.t("case_when.helpline_open", hours=span)
        key = "case_when.helpline_holiday" if holiday else "case_when.helpline_closed"
        return ctx.t(key, hours=span, opens=hours.format_local(opens, ctx.lang))
    if queue == INTEGRITY:
        return ctx.t("case_when.integrity", email=contacts.integrity.email or "")
    desk = contacts.helpdesk
    return ctx.t("case_when.helpdesk", days=(desk.days_zh if ctx.lang == "zh" else desk.days_en) or "",
                 hours=desk.hours or "", tz=desk.timezone or ctx.services.config.timezone)


async def submit(ctx: Context, queue: str, category: str, body: str) -> list[Reply]:
    """Open the case from the finished draft and tell the reporter its reference."""
    notify = ctx.data.get("notify", NOTIFY_MESSAGE)
    report = cases.NewReport(queue=queue, category=category, body=body, notify=notify, lang=ctx.lang,
                             urgent=bool(ctx.data.get("urgent")), attachments=tuple(ctx.data.get("att", ())))
    _case, ref = await cases.open_case(ctx.session, ctx.secrets, report, contact_id=ctx.contact.id, now=ctx.now,
                                       alerts=alerts.targets(ctx.services.config))
    ctx.end_flow()
    replies = [ctx.reply("case_created", ref=ref, notify=ctx.t(CREATED_NOTIFY_TEXT[notify]),
                         when=when_answered(ctx, queue))]
    if report.urgent:
        replies.append(ctx.reply("case_urgent_ack"))
    return replies


__all__ = ["HELPDESK", "HELPLINE", "INTEGRITY", "private_only", "privacy_notice", "collect", "urgent_check",
           "add_more", "ask_notify", "picked_notify", "confirm", "submit", "when_answered"]


async def notify_and_confirm(ctx: Context, inp: Input, flow: str, queue: str,
                             confirm: Callable[[Context], Reply], body: Callable[[], str],
                             fields: dict[str, str] | None = None,
                             reask: Callable[[str], list[Reply]] | None = None) -> list[Reply]:
    """The last steps every report shares: how the reporter hears back, then the review, where
    the reporter sends, cancels or (with ``fields``) corrects one part: ``reask(field)`` asks it
    again, the new answer replaces the old one and the review comes back."""
    if ctx.step == "notify":
        if picked_notify(ctx, inp, flow):
            ctx.data.pop("fixing", None)
            ctx.goto("confirm")
            return [confirm(ctx)]
        return urgent_check(ctx, inp.text) + [ask_notify(ctx, flow)]
    if ctx.step == "confirm" and inp.choice == f"{flow}:send":
        return await submit(ctx, queue, ctx.data["category"], body())
    if ctx.step == "confirm" and fields and reask is not None:
        if inp.choice == f"{flow}:change":
            return [fields_menu(ctx, flow, fields)]
        field = (inp.choice or "").removeprefix(f"{flow}:fix:")
        if (inp.choice or "").startswith(f"{flow}:fix:") and field in fields:
            if field == "notify":
                ctx.goto("notify")
                return [ask_notify(ctx, flow)]
            ctx.data["fixing"] = field
            return reask(field)
    return urgent_check(ctx, inp.text) + [confirm(ctx)]


def picked_category(choice: str, flow: str, allowed) -> str | None:
    """The category a `FLOW:cat:ID` choice names, if it is one of `allowed`."""
    prefix = f"{flow}:cat:"
    category = choice.removeprefix(prefix)
    return category if choice.startswith(prefix) and category in allowed else None
