"""The queue of a staff member's role and the case page. A case outside the role is a 404; every
view and action is written to the access log; the reporter appears only as the case number (never the receipt)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.models import OutboxMessage
from bot.core.models import outbox as ob
from bot.core.models.cases import (
    NOTE,
    NOTIFY_CHECK_BACK,
    REPORTER,
    STAFF,
    Case,
    CaseMessage,
    StaffUser,
)
from bot.core.models.evidence import PENDING as EVIDENCE_PENDING
from bot.core.models.evidence import CaseEvidence
from bot.core.texts import t
from bot.services import canned, cases, evidence
from bot.staff import FORM_DATA, SIGNED_IN, id_from, keys_views, language, now, redirect, render, runtime
from bot.staff.i18n import N_
from handlers.cases.texts import CATEGORY_TEXT
from integrations import appkeys as K

MAX_REPLY = 4000
SEALED = N_("(encrypted: you do not hold the queue key; a member of the queue can give it to you on the Keys page)")
STATUS_LABEL = {"open": N_("open"), "waiting": N_("waiting for staff"), "answered": N_("answered"),
                "closed": N_("closed"), "all": N_("all")}
# a staff reply's delivery state, as `delivery_of` names it
DELIVERY_LABEL = {"pending": N_("pending"), "sent": N_("sent"), "held": N_("held"), "failed": N_("failed"),
                  "waiting": N_("waiting"), "seen": N_("seen")}


def category_label(queue: str, category: str, lang: str = "en") -> str:
    try:
        return t(CATEGORY_TEXT[queue][category], lang)
    except KeyError:
        return category


def categories_of(queue: str) -> list[str]:
    from handlers.cases.texts import HELPDESK_CATEGORY, HELPLINE_CATEGORIES, INTEGRITY_CATEGORIES

    return {"helpline": HELPLINE_CATEGORIES, "integrity": INTEGRITY_CATEGORIES,
            "helpdesk": [HELPDESK_CATEGORY]}[queue]


def _staff(request: web.Request) -> StaffUser:
    return request[SIGNED_IN]


async def emails_of(s: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict((await s.execute(select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(ids)))).all())


async def _case_for(s: AsyncSession, request: web.Request) -> Case:
    """The case of the URL, if the signed-in role owns its queue; otherwise 404."""
    case = await s.get(Case, id_from(request, "case_id"))
    if case is None:
        raise web.HTTPNotFound()
    if case.queue != _staff(request).role:
        # recorded in its own transaction: the 404 rolls back the request's
        async with runtime(request).db.session() as log_session:
            await cases.log_access(log_session, _staff(request), case, "denied", now(request))
        raise web.HTTPNotFound()
    return case


@dataclass
class ShownEvidence:
    """A photo or document of a message, as the case page shows it."""

    url: str
    state: str  # kept, pending, failed (the fetch gave up), refused, gone
    content_type: str | None
    reason: str | None
    size: int | None

    @property
    def image(self) -> bool:
        return self.state == "kept" and (self.content_type or "").startswith("image/")


def shown_evidence(case: Case, row: CaseEvidence, job: OutboxMessage | None) -> ShownEvidence:
    state = row.status
    if state == EVIDENCE_PENDING and job is not None and job.status == ob.FAILED:
        state = "failed"
    return ShownEvidence(f"/staff/cases/{case.id}/evidence/{row.id}", state, row.content_type, row.reason, row.size)


@dataclass
class Shown:
    author: str
    body: str | None  # None: sealed to a queue key this member does not hold
    at: datetime
    by: str | None
    photos: int
    delivery: str | None
    delivery_note: str | None
    evidence: list[ShownEvidence]


def delivery_of(case: Case, m: CaseMessage, row: OutboxMessage | None) -> tuple[str | None, str | None]:
    """(state, explanation) of a staff reply, for the console."""
    if m.author != STAFF:
        return None, None
    if m.seen_at is not None:
        return "seen", N_("read by the reporter when they checked back with the reference")
    if row is None:
        if case.notify == NOTIFY_CHECK_BACK:
            return "waiting", N_("the reporter chose to check back with the reference; shown when they do")
        return "failed", N_("no chat account to send it to")
    if row.status in (ob.PENDING, ob.SENDING):
        return "pending", N_("queued for delivery")
    if row.status == ob.SENT:
        return "sent", None
    if row.status == ob.HELD:
        return "held", N_("WeChat lets us message a user only within 48 hours of their last message. The "
                          "reply is kept and delivered when the reporter writes again.")
    return "failed", N_("the platform refused it (for example the reporter blocked the bot); it is kept here")


async def case_page(request: web.Request) -> web.Response:
    return await _case_view(request)


async def _case_view(request: web.Request, draft: str = "", status: int = 200) -> web.Response:
    """The case page; `draft`: a reply being written, kept in the reply box."""
    rt = runtime(request)
    secrets, at = rt.services.secrets, now(request)
    async with rt.db.session() as s:
        case = await _case_for(s, request)
        await cases.log_access(s, _staff(request), case, "view", at)
        found = await cases.messages(s, case)
        kept = await evidence.of_case(s, case)
        outbox_ids = [m.outbox_id for m in found if m.outbox_id] + [e.outbox_id for e in kept if e.outbox_id]
        rows = {r.id: r for r in (await s.execute(
            select(OutboxMessage).where(OutboxMessage.id.in_(outbox_ids)))).scalars()} if outbox_ids else {}
        emails = await emails_of(s, {m.staff_id for m in found if m.staff_id} | {case.assigned_to or 0} - {0})
        team = await colleagues(s, case.queue)
        offered = await canned.for_case(s, case.queue, case.lang)
        # the case key, opened with the queue key this session holds (keys_views)
        private = cases.private_for_staff(secrets, case, await keys_views.queue_private(request, s))
    by_message: dict[int, list[ShownEvidence]] = {}
    for e in kept:
        by_message.setdefault(e.message_id, []).append(shown_evidence(case, e, rows.get(e.outbox_id or 0)))
    shown = []
    sealed = False
    for m in found:
        body = cases.read(secrets, private, m.body_enc)
        sealed = sealed or body is None
        state, note = delivery_of(case, m, rows.get(m.outbox_id) if m.outbox_id else None)
        shown.append(Shown(m.author, body, m.created_at, emails.get(m.staff_id),
                           cases.photos_in(secrets, private, m.attachments_enc), state, note,
                           by_message.get(m.id, [])))
    chosen = request.query.get("canned", "")
    if not draft and chosen.isdigit():  # "Insert" without JavaScript: the canned reply in the box
        draft = next((r.body for r in offered if str(r.id) == chosen), "")
    return render(request, "case.html", {
        "case": case, "ref": cases.case_number(case), "messages": shown, "sealed": sealed, "sealed_text": SEALED,
        "category": category_label(case.queue, case.category, language(request)),
        "assigned": emails.get(case.assigned_to), "colleagues": team, "draft": draft,
        "canned": [{"name": REPORTER_LANG[code]["name"], "replies": [r for r in offered if r.lang == code]}
                   for code in dict.fromkeys([r.lang for r in offered]) if code in REPORTER_LANG],
        "reporter_lang": REPORTER_LANG.get(case.lang, REPORTER_LANG["en"]),
        "REPORTER": REPORTER, "NOTE": NOTE, "STAFF": STAFF, "max_reply": MAX_REPLY, "CHECK_BACK": NOTIFY_CHECK_BACK,
        "statuses": STATUS_LABEL, "deliveries": DELIVERY_LABEL,
    }, status=status)


# the reporter's language as the case page shows it beside the reply box
REPORTER_LANG = {"en": {"code": "en", "name": "English", "hint": N_("Write your reply in English.")},
                 "zh": {"code": "zh", "name": "中文", "hint": N_("Write your reply in Chinese (中文).")}}


async def colleagues(s: AsyncSession, queue: str) -> list[StaffUser]:
    """The active members of a queue's role: whom a case of the queue can be assigned to."""
    return list((await s.execute(select(StaffUser).where(StaffUser.role == queue, StaffUser.active.is_(True))
                                 .order_by(StaffUser.email))).scalars())


EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}


async def evidence_file(request: web.Request) -> web.Response:
    """A kept photo or document of a case, to the role that owns its queue (others: 404); never
    cached; a PDF is a download, never rendered inside the console."""
    rt = runtime(request)
    secrets = rt.services.secrets
    async with rt.db.session() as s:
        case = await _case_for(s, request)
        # the case key, opened with the queue key this session holds, as for the case page
        private = cases.private_for_staff(secrets, case, await keys_views.queue_private(request, s))
        try:
            found = await evidence.content(s, secrets, case, id_from(request, "evidence_id"), private)
        except evidence.Locked:
            found = None
        else:
            if found is None:
                raise web.HTTPNotFound()
        await cases.log_access(s, _staff(request), case, "view_evidence", now(request))
        if found is not None:
            extension = EXTENSIONS.get(found.content_type, "bin")
            name = f"{cases.case_number(case)}-{request.match_info['evidence_id']}.{extension}"
    if found is None:  # no queue key in this session: what the case page shows for each message then
        return web.Response(status=403, text=SEALED, headers={"Cache-Control": "no-store"})
    disposition = "inline" if found.content_type.startswith("image/") else "attachment"
    return web.Response(body=found.data, content_type=found.content_type, headers={
        "Cache-Control": "no-store", "Content-Disposition": f'{disposition}; filename="{name}"',
        "Content-Security-Policy": "default-src 'none'; sandbox"})


def _text(request: web.Request) -> str:
    body = str(request[FORM_DATA].get("body") or "").strip()
    if not body:
        raise web.HTTPBadRequest(text="The message is empty.")
    if len(body) > MAX_REPLY:
        raise web.HTTPBadRequest(text=f"The message is longer than {MAX_REPLY} characters.")
    return body


async def _assignee(s: AsyncSession, request: web.Request, case: Case) -> int | None:
    """Whom the assign form names: `to` = a colleague's id, "none" (nobody), or absent (me)."""
    chosen = str(request[FORM_DATA].get("to") or "me")
    if chosen == "me":
        return _staff(request).id
    if chosen == "none":
        return None
    if chosen.isdigit() and int(chosen) <= 2**31 - 1:
        member = await s.get(StaffUser, int(chosen))
        if member is not None and member.active and member.role == case.queue:
            return member.id
    raise web.HTTPBadRequest(text="Cases are assigned to an active member of the queue's team only.")


async def case_action(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    rt = runtime(request)
    staff, at = _staff(request), now(request)
    if action == "reply" and request[FORM_DATA].get("confirm") != "yes":
        # one confirmation before anything reaches the reporter (works without JavaScript)
        return await _confirm_reply(request, _text(request))
    async with rt.db.session() as s:
        case = await _case_for(s, request)
        if action == "reply":
            await cases.staff_reply(s, rt.services.secrets, case, staff, _text(request), now=at)
        elif action == "note":
            await cases.add_note(s, rt.services.secrets, case, staff, _text(request), now=at)
        elif action == "assign":
            case.assigned_to = await _assignee(s, request, case)
            action = "assign" if case.assigned_to is not None else "unassign"
        elif action == "close":
            cases.close(case, at)
        elif action == "reopen":
            cases.reopen(case, at)
        else:
            raise web.HTTPNotFound()
        await cases.log_access(s, staff, case, action, at)
        case_id = case.id
    worker = request.config_dict.get(K.OUTBOX)
    if action == "reply" and worker is not None:
        worker.notify()  # deliver now rather than at the next poll
    return redirect(f"/staff/cases/{case_id}")


async def _confirm_reply(request: web.Request, body: str) -> web.Response:
    """The reply is shown once more with "Send it" and "Change it"; "Change it" comes back to
    the case page with the text still in the reply box."""
    if request[FORM_DATA].get("confirm") == "edit":
        return await _case_view(request, draft=body)
    async with runtime(request).db.session() as s:
        case = await _case_for(s, request)
    return render(request, "case_confirm.html", {
        "case": case, "ref": cases.case_number(case), "body": body,
        "reporter_lang": REPORTER_LANG.get(case.lang, REPORTER_LANG["en"]), "CHECK_BACK": NOTIFY_CHECK_BACK})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/cases/{case_id}", case_page, name="case")
    app.router.add_get("/cases/{case_id}/evidence/{evidence_id}", evidence_file, name="case_evidence")
    app.router.add_post("/cases/{case_id}/{action}", case_action, name="case_action")
