"""The queue of a staff member's role: what needs action now. Urgent cases first, then those
waiting longest for staff; each with its age ("3 h"), its response target (ETP_RESPONSE_TARGETS)
and whether it is late, a marker when the reporter wrote again since staff last answered, the
colleague it is assigned to. Filters: status, category, mine / unassigned / all, a case number.
`queue.json` gives the count waiting and a stamp of the list, polled by the page to refresh
itself (static/console.js) and to show the count in the tab's title."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.models.cases import CASE_STATUSES, CLOSED, QUEUES, REPORTER, STAFF, WAITING, Case, CaseMessage, StaffUser
from bot.services import cases
from bot.services.references import PREFIXES
from bot.services.targets import timing
from bot.staff import QUEUE_PAGE, SIGNED_IN, i18n, language, now, page_number, render, runtime
from bot.staff.cases_views import STATUS_LABEL, categories_of, category_label, emails_of
from bot.staff.i18n import N_

PAGE_SIZE = 100
POLL_SECONDS = 20  # how often an open queue page asks whether the list changed
WHO = {"all": N_("everyone's"), "mine": N_("mine"), "unassigned": N_("unassigned")}
NUMBER = re.compile(r"\s*(?:([A-Za-z])\s*-?\s*)?(\d{1,10})\s*")


def relative(seconds: float, _) -> str:
    """A span of time as staff say it: "<1 min", "25 min", "3 h", "2 d"."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return _("<1 min")
    if minutes < 60:
        return _("%(n)s min", n=minutes)
    if minutes < 48 * 60:
        return _("%(n)s h", n=minutes // 60)
    return _("%(n)s d", n=minutes // (24 * 60))


def case_number_searched(text: str, queue: str) -> int | None | bool:
    """The case id of a searched number (`H-1042`, `h1042`, `1042`); False when it is not a
    number of this queue (nothing found), None when nothing is searched."""
    if not text.strip():
        return None
    found = NUMBER.fullmatch(text)
    if not found or (found.group(1) and found.group(1).upper() != PREFIXES[queue]):
        return False
    number = int(found.group(2))
    return number if 0 < number <= 2**31 - 1 else False


@dataclass
class Filters:
    status: str = "open"
    category: str = ""
    who: str = "all"
    q: str = ""

    @classmethod
    def of(cls, request: web.Request, queue: str) -> Filters:
        query = request.query
        status = query.get("status", "open")
        category = query.get("category", "")
        who = query.get("who", "all")
        return cls(status if status in STATUS_LABEL else "open",
                   category if category in categories_of(queue) else "",
                   who if who in WHO else "all", query.get("q", "")[:40])

    def query_string(self, **changes: object) -> str:
        values = {"status": self.status, "category": self.category, "who": self.who, "q": self.q, **changes}
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


@dataclass
class Row:
    case: Case
    number: str
    category: str
    assigned: str | None
    age: str  # since the reporter wrote last (waiting) or since the case last changed
    state: str | None  # ok / soon / late while the case waits for staff
    due_in: str | None
    new: int  # reporter messages since staff last answered (0: none, or never answered yet)


def _where(staff: StaffUser, filters: Filters) -> list:
    where = [Case.queue == staff.role]
    searched = case_number_searched(filters.q, staff.role)
    if searched is False:
        return [*where, Case.id.is_(None)]
    if searched is not None:
        return [*where, Case.id == searched]  # a number is found whatever its status
    if filters.status == "open":
        where.append(Case.status != CLOSED)
    elif filters.status in CASE_STATUSES:
        where.append(Case.status == filters.status)
    if filters.category:
        where.append(Case.category == filters.category)
    if filters.who == "mine":
        where.append(Case.assigned_to == staff.id)
    elif filters.who == "unassigned":
        where.append(Case.assigned_to.is_(None))
    return where


async def _new_messages(s: AsyncSession, ids: list[int]) -> dict[int, int]:
    """Per case: reporter messages after the last staff reply (cases never answered: none)."""
    if not ids:
        return {}
    rows = (await s.execute(select(CaseMessage.case_id, CaseMessage.author, CaseMessage.created_at)
                            .where(CaseMessage.case_id.in_(ids), CaseMessage.author.in_((REPORTER, STAFF)))
                            .order_by(CaseMessage.created_at, CaseMessage.id))).all()
    answered: set[int] = set()
    new: dict[int, int] = {}
    for case_id, author, _at in rows:
        if author == STAFF:
            answered.add(case_id)
            new[case_id] = 0
        elif case_id in answered:
            new[case_id] = new.get(case_id, 0) + 1
    return new


@dataclass
class Listing:
    rows: list[Row]
    total: int
    waiting: int
    stamp: str


async def listing(request: web.Request, staff: StaffUser, filters: Filters, page: int) -> Listing:
    rt = runtime(request)
    at, tz, lang = now(request), ZoneInfo(rt.config.timezone), language(request)
    _ = i18n.gettext_for(lang)
    where = _where(staff, filters)
    # urgent first, then the longest waiting for staff, then the rest by last change
    query = (select(Case).where(*where)
             .order_by(Case.urgent.desc(), Case.waiting_since.asc().nulls_last(), Case.updated_at.asc(), Case.id)
             .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    async with rt.db.session() as s:
        found = (await s.execute(query)).scalars().all()
        total = (await s.execute(select(func.count()).select_from(Case).where(*where))).scalar_one()
        waiting = (await s.execute(select(func.count()).select_from(Case).where(
            Case.queue == staff.role, Case.status == WAITING))).scalar_one()
        emails = await emails_of(s, {c.assigned_to for c in found if c.assigned_to})
        new = await _new_messages(s, [c.id for c in found])
    rows = []
    for c in found:
        state = due_in = None
        if c.status == WAITING and c.waiting_since is not None:
            timed = timing(rt.config.response_targets, c.queue, c.urgent, c.waiting_since, at, tz)
            state = timed.state
            left = (timed.due - at).total_seconds()
            due_in = _("late by %(span)s", span=relative(-left, _)) if left <= 0 else _(
                "due in %(span)s", span=relative(left, _))
        since = c.waiting_since if c.status == WAITING and c.waiting_since else c.updated_at
        rows.append(Row(c, cases.case_number(c), category_label(c.queue, c.category, lang), emails.get(c.assigned_to),
                        relative((at - since).total_seconds(), _), state, due_in, new.get(c.id, 0)))
    stamp = hashlib.sha256(json.dumps(
        [total, waiting, [(r.case.id, r.case.status, r.age, r.state, r.due_in, r.new, r.assigned) for r in rows]]
    ).encode()).hexdigest()[:16]
    return Listing(rows, total, waiting, stamp)


def _queue_role(request: web.Request) -> StaffUser:
    staff = request[SIGNED_IN]
    if staff.role not in QUEUES:
        raise web.HTTPSeeOther("/staff/admin")
    return staff


async def case_list(request: web.Request) -> web.Response:
    staff = _queue_role(request)
    filters, page = Filters.of(request, staff.role), page_number(request)
    found = await listing(request, staff, filters, page)
    lang = language(request)
    return render(request, "cases.html", {
        "listing": found, "items": found.rows, "filters": filters, "statuses": STATUS_LABEL, "who": WHO,
        "categories": [(c, category_label(staff.role, c, lang)) for c in categories_of(staff.role)],
        "page": page, "pages": max(1, -(-found.total // PAGE_SIZE)), "total": found.total,
        "searched": case_number_searched(filters.q, staff.role) is not None,
        "queue_title": QUEUE_PAGE[staff.role], "poll_seconds": POLL_SECONDS,
    })


async def queue_json(request: web.Request) -> web.Response:
    """{"waiting": N, "total": N, "stamp": "…"}: counts only (no case content), for the page's poll."""
    staff = _queue_role(request)
    found = await listing(request, staff, Filters.of(request, staff.role), page_number(request))
    return web.json_response({"waiting": found.waiting, "total": found.total, "stamp": found.stamp},
                             headers={"Cache-Control": "no-store"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", case_list, name="cases")
    app.router.add_get("/queue.json", queue_json, name="queue_json")
