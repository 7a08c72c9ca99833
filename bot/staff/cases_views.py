"""The queue of a staff member's role and the case page. A case outside the role is a 404; every
view and action is written to the access log; the reporter appears only as the case number (never the receipt)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.models import OutboxMessage
from bot.core.models import outbox as ob
from bot.core.models.cases import (
    CASE_STATUSES,
    CLOSED,
    NOTE,
    NOTIFY_CHECK_BACK,
    QUEUES,
    REPORTER,
    STAFF,
    Case,
    CaseMessage,
    StaffUser,
)
from bot.core.models.evidence import PENDING as EVIDENCE_PENDING
from bot.core.models.evidence import CaseEvidence
from bot.core.texts import t
from bot.services import cases, evidence
from bot.staff import FORM_DATA, SIGNED_IN, id_from, now, page_number, redirect, render, runtime
from handlers.cases.texts import CATEGORY_TEXT
from integrations import appkeys as K

MAX_REPLY = 4000
PAGE_SIZE = 100


def category_label(queue: str, category: str) -> str:
    try:
        return t(CATEGORY_TEXT[queue][category], "en")
    except KeyError:
        return category


def categories_of(queue: str) -> list[str]:
    from handlers.cases.texts import HELPDESK_CATEGORY, HELPLINE_CATEGORIES, INTEGRITY_CATEGORIES

    return {"helpline": HELPLINE_CATEGORIES, "integrity": INTEGRITY_CATEGORIES,
            "helpdesk": [HELPDESK_CATEGORY]}[queue]


def _staff(request: web.Request) -> StaffUser:
    return request[SIGNED_IN]


def _page(request: web.Request, template: str, values: dict) -> web.Response:
    return render(request, template, values)


async def case_list(request: web.Request) -> web.Response:
    staff = _staff(request)
    if staff.role not in QUEUES:
        raise web.HTTPSeeOther("/staff/admin")
    status = request.query.get("status", "open")
    category = request.query.get("category", "")
    page = page_number(request)
    where = [Case.queue == staff.role]
    if status == "open":
        where.append(Case.status != CLOSED)
    elif status in CASE_STATUSES:
        where.append(Case.status == status)
    if category in categories_of(staff.role):
        where.append(Case.category == category)
    # urgent first, then the longest waiting for staff, then the rest by last change
    query = (select(Case).where(*where)
             .order_by(Case.urgent.desc(), Case.waiting_since.asc().nulls_last(), Case.updated_at.asc(), Case.id)
             .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    async with runtime(request).db.session() as s:
        rows = (await s.execute(query)).scalars().all()
        total = (await s.execute(select(func.count()).select_from(Case).where(*where))).scalar_one()
        emails = await _emails(s, {c.assigned_to for c in rows if c.assigned_to})
    items = [{"case": c, "ref": cases.case_number(c), "category": category_label(c.queue, c.category),
              "assigned": emails.get(c.assigned_to)} for c in rows]
    return _page(request, "cases.html", {
        "items": items, "status": status, "category": category, "statuses": ["open", *CASE_STATUSES, "all"],
        "categories": [(c, category_label(staff.role, c)) for c in categories_of(staff.role)],
        "page": page, "pages": max(1, -(-total // PAGE_SIZE)), "total": total,
    })


async def _emails(s: AsyncSession, ids: set[int]) -> dict[int, str]:
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
    body: str
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
        return "seen", "read by the reporter when they checked back with the reference"
    if row is None:
        if case.notify == NOTIFY_CHECK_BACK:
            return "waiting", "the reporter chose to check back with the reference; shown when they do"
        return "failed", "no chat account to send it to"
    if row.status in (ob.PENDING, ob.SENDING):
        return "pending", "queued for delivery"
    if row.status == ob.SENT:
        return "sent", None
    if row.status == ob.HELD:
        return "held", ("WeChat lets us message a user only within 48 hours of their last message. The reply "
                        "is kept and delivered when the reporter writes again.")
    return "failed", "the platform refused it (for example the reporter blocked the bot); it is kept here"


async def case_page(request: web.Request) -> web.Response:
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
        emails = await _emails(s, {m.staff_id for m in found if m.staff_id} | {case.assigned_to or 0} - {0})
    by_message: dict[int, list[ShownEvidence]] = {}
    for e in kept:
        by_message.setdefault(e.message_id, []).append(shown_evidence(case, e, rows.get(e.outbox_id or 0)))
    shown = []
    for m in found:
        photos = len(secrets.decrypt_json(m.attachments_enc)) if m.attachments_enc else 0
        state, note = delivery_of(case, m, rows.get(m.outbox_id) if m.outbox_id else None)
        shown.append(Shown(m.author, secrets.decrypt(m.body_enc), m.created_at, emails.get(m.staff_id), photos,
                           state, note, by_message.get(m.id, [])))
    return _page(request, "case.html", {
        "case": case, "ref": cases.case_number(case), "messages": shown,
        "category": category_label(case.queue, case.category), "assigned": emails.get(case.assigned_to),
        "REPORTER": REPORTER, "NOTE": NOTE, "max_reply": MAX_REPLY,
    })


EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}


async def evidence_file(request: web.Request) -> web.Response:
    """A kept photo or document of a case, to the role that owns its queue (others: 404); never
    cached; a PDF is a download, never rendered inside the console."""
    rt = runtime(request)
    async with rt.db.session() as s:
        case = await _case_for(s, request)
        found = await evidence.content(s, rt.services.secrets, case, id_from(request, "evidence_id"))
        if found is None:
            raise web.HTTPNotFound()
        await cases.log_access(s, _staff(request), case, "view_evidence", now(request))
        extension = EXTENSIONS.get(found.content_type, "bin")
        name = f"{cases.case_number(case)}-{request.match_info['evidence_id']}.{extension}"
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


async def case_action(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    rt = runtime(request)
    staff, at = _staff(request), now(request)
    async with rt.db.session() as s:
        case = await _case_for(s, request)
        if action == "reply":
            await cases.staff_reply(s, rt.services.secrets, case, staff, _text(request), now=at)
        elif action == "note":
            await cases.add_note(s, rt.services.secrets, case, staff, _text(request), now=at)
        elif action == "assign":
            case.assigned_to = staff.id
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


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", case_list, name="cases")
    app.router.add_get("/cases/{case_id}", case_page, name="case")
    app.router.add_get("/cases/{case_id}/evidence/{evidence_id}", evidence_file, name="case_evidence")
    app.router.add_post("/cases/{case_id}/{action}", case_action, name="case_action")
