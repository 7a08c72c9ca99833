"""Case statistics without identities: cases opened and closed per queue, category and ISO week
(office time zone), and the median first-response time (case opened → first staff reply) per
queue and week. Cases still in the database and the counts kept for purged ones (`CaseStats`)
are added together; medians are computed here over the week's individual times. Each role sees
its own queue; admins see every queue."""
from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import or_, select

from bot.core.models.cases import ADMIN, CLOSED, QUEUES, Case, CaseStats
from bot.services.retention import iso_week
from bot.staff import SIGNED_IN, now, render, runtime
from bot.staff.cases_views import category_label

RANGES = (13, 26, 52, 0)  # weeks shown; 0: all
DEFAULT_RANGE = 26


@dataclass
class Week:
    week: str
    opened: int = 0
    closed: int = 0
    response_seconds: list[int] = field(default_factory=list)
    categories: dict[str, list[int]] = field(default_factory=dict)  # category -> [opened, closed]

    def count(self, category: str, opened: int = 0, closed: int = 0) -> None:
        self.opened += opened
        self.closed += closed
        pair = self.categories.setdefault(category, [0, 0])
        pair[0] += opened
        pair[1] += closed

    @property
    def median_seconds(self) -> float | None:
        return statistics.median(self.response_seconds) if self.response_seconds else None


class QueueFigures(dict[str, Week]):
    def week(self, name: str) -> Week:
        return self.setdefault(name, Week(name))

    def newest_first(self) -> list[Week]:
        return [self[k] for k in sorted(self, reverse=True)]


def first_week_shown(today: date, weeks: int, tz: tzinfo) -> datetime | None:
    """The start (Monday 00:00, office time) of the oldest week shown; None for all."""
    if not weeks:
        return None
    monday = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    return datetime.combine(monday, time(0), tz)


async def figures(session, queues: list[str], since: datetime | None, tz: tzinfo) -> dict[str, QueueFigures]:
    out = {q: QueueFigures() for q in queues}
    query = select(Case.queue, Case.category, Case.status, Case.created_at, Case.closed_at,
                   Case.first_response_at).where(Case.queue.in_(queues))
    if since is not None:
        query = query.where(or_(Case.created_at >= since, Case.closed_at >= since))
    for queue, category, status, created, closed, first_response in (await session.execute(query)).all():
        if since is None or created >= since:
            week = out[queue].week(iso_week(created, tz))
            week.count(category, opened=1)
            if first_response is not None:
                week.response_seconds.append(int((first_response - created).total_seconds()))
        if status == CLOSED and closed is not None and (since is None or closed >= since):
            out[queue].week(iso_week(closed, tz)).count(category, closed=1)
    kept = select(CaseStats).where(CaseStats.queue.in_(queues))
    if since is not None:
        kept = kept.where(CaseStats.week >= iso_week(since, tz))  # "2026-W09" < "2026-W10": ISO weeks sort as text
    for row in (await session.execute(kept)).scalars():
        week = out[row.queue].week(row.week)
        week.count(row.category, opened=row.opened, closed=row.closed)
        week.response_seconds.extend(json.loads(row.first_response_seconds or "[]"))
    return out


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


async def statistics_page(request: web.Request) -> web.Response:
    staff = request[SIGNED_IN]
    if staff.role == ADMIN:
        queues = [request.query["queue"]] if request.query.get("queue") in QUEUES else list(QUEUES)
    elif staff.role in QUEUES:
        queues = [staff.role]
    else:  # pragma: no cover - every role is a queue or admin
        raise web.HTTPNotFound()
    raw = request.query.get("weeks", "")
    weeks = int(raw) if raw.isdigit() and int(raw) in RANGES else DEFAULT_RANGE
    tz = ZoneInfo(runtime(request).config.timezone)
    since = first_week_shown(now(request).astimezone(tz).date(), weeks, tz)
    async with runtime(request).db.session() as s:
        found = await figures(s, queues, since, tz)
    sections = [{"queue": q, "weeks": found[q].newest_first()} for q in queues]
    return render(
        request,
        "statistics.html",
        {
            "sections": sections,
            "category_label": category_label,
            "weeks": weeks,
            "ranges": RANGES,
            "queue": request.query.get("queue", ""),
            "queues": QUEUES,
            "duration": duration,
            "is_admin": staff.role == ADMIN,
        },
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/statistics", statistics_page, name="statistics")
