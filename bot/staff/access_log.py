"""The access log, for admins: who viewed or changed which case (or factory, or, for an admin's
account actions, which staff account), when; filtered by
staff member, action and dates (office time zone), paged, and exported as CSV. It names cases by
their case number only (never a receipt, a text or an identity)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import func, select

from bot.core.models.cases import ADMIN, Case, CaseAccess, StaffUser
from bot.core.models.factories import Factory
from bot.services import cases
from bot.staff import SIGNED_IN, page_number, render, runtime

PAGE_SIZE = 200
CSV_LIMIT = 100_000


def _admin(request: web.Request) -> None:
    if request[SIGNED_IN].role != ADMIN:
        raise web.HTTPNotFound()


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@dataclass
class Filters:
    staff: str = ""  # a staff id, as text
    action: str = ""
    first: date | None = None
    last: date | None = None

    @classmethod
    def of(cls, request: web.Request) -> Filters:
        q = request.query
        staff = q.get("staff", "")
        return cls(staff if staff.isdigit() and int(staff) <= 2**31 - 1 else "", q.get("action", "")[:32],
                   _date(q.get("from", "")), _date(q.get("to", "")))

    def where(self, tz: ZoneInfo) -> list:
        where = []
        if self.staff:
            where.append(CaseAccess.staff_id == int(self.staff))
        if self.action and self.action.isprintable():
            where.append(CaseAccess.action == self.action)
        if self.first:
            where.append(CaseAccess.at >= datetime.combine(self.first, time(0), tz))
        if self.last:
            where.append(CaseAccess.at < datetime.combine(self.last + timedelta(days=1), time(0), tz))
        return where

    def query_string(self, **changes: object) -> str:
        values = {"staff": self.staff, "action": self.action, "from": self.first.isoformat() if self.first else "",
                  "to": self.last.isoformat() if self.last else "", **changes}
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def subject(entry: CaseAccess, case: Case | None, factory_id: str | None, emails: dict[int, str]) -> str:
    """What an entry is about: a case (its number), a factory, or a staff account (admin actions)."""
    if entry.subject_staff_id is not None:
        return f"account {emails.get(entry.subject_staff_id, '(deleted)')}"
    if entry.factory_id is not None:
        return f"factory {factory_id}" if factory_id is not None else "(deleted factory)"
    return cases.case_number(case) if case else "(purged)"


async def _accounts_named(s, rows) -> dict[int, str]:
    ids = {a.subject_staff_id for a, *_ in rows if a.subject_staff_id is not None}
    if not ids:
        return {}
    return dict((await s.execute(select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(ids)))).all())


def _query(where: list):
    return (select(CaseAccess, StaffUser.email, Case, Factory.factory_id)
            .outerjoin(StaffUser, StaffUser.id == CaseAccess.staff_id)
            .outerjoin(Case, Case.id == CaseAccess.case_id)
            .outerjoin(Factory, Factory.id == CaseAccess.factory_id)
            .where(*where).order_by(CaseAccess.at.desc(), CaseAccess.id.desc()))


async def access_log(request: web.Request) -> web.Response:
    _admin(request)
    tz = ZoneInfo(runtime(request).config.timezone)
    filters, page = Filters.of(request), page_number(request)
    where = filters.where(tz)
    async with runtime(request).db.session() as s:
        rows = (await s.execute(_query(where).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))).all()
        total = (await s.execute(select(func.count()).select_from(CaseAccess).where(*where))).scalar_one()
        members = (await s.execute(select(StaffUser.id, StaffUser.email).order_by(StaffUser.email))).all()
        actions = sorted((await s.execute(select(CaseAccess.action).distinct())).scalars())
        named = await _accounts_named(s, rows)
    entries = [{"at": a.at, "email": email, "action": a.action, "ref": subject(a, case, factory_id, named)}
               for a, email, case, factory_id in rows]
    return render(request, "access.html", {
        "entries": entries, "filters": filters, "members": members, "actions": actions, "total": total,
        "page": page, "pages": max(1, -(-total // PAGE_SIZE))})


async def access_csv(request: web.Request) -> web.Response:
    _admin(request)
    tz = ZoneInfo(runtime(request).config.timezone)
    filters = Filters.of(request)
    async with runtime(request).db.session() as s:
        rows = (await s.execute(_query(filters.where(tz)).limit(CSV_LIMIT))).all()
        named = await _accounts_named(s, rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at", "staff", "subject", "action"])
    for a, email, case, factory_id in rows:
        writer.writerow([a.at.astimezone(tz).isoformat(timespec="seconds"), email or "(deleted account)",
                         subject(a, case, factory_id, named), a.action])
    return web.Response(body=("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": 'attachment; filename="etp-access-log.csv"'})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/access", access_log, name="access_log")
    app.router.add_get("/admin/access.csv", access_csv, name="access_csv")
