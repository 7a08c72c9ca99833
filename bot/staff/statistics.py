"""Case statistics without identities: per queue, cases opened, closed and urgent per ISO week
(office time zone), by category, the backlog (cases open at the end of each week) and the median
first-response time (case opened → first staff reply) of the cases opened that week. Cases still
in the database and the counts kept for purged ones (`CaseStats`) are added together; medians are
computed here over the week's individual times. Shown as charts (server-side SVG, `charts.py`)
with totals, over a range of weeks or dates, the figures in tables below, and as CSV. Each role
sees its own queue; admins see every queue. Counts only: never a text, a receipt or a number."""
from __future__ import annotations

import csv
import io
import json
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select

from bot.core.models.cases import ADMIN, CLOSED, QUEUES, Case, CaseStats
from bot.services.retention import iso_week
from bot.staff import SIGNED_IN, i18n, language, now, render, runtime
from bot.staff import charts as draw
from bot.staff.cases_views import category_label

RANGES = (13, 26, 52, 0)  # weeks shown; 0: all
DEFAULT_RANGE = 26
MAX_DAYS = 3660  # a date range of at most ten years


@dataclass
class Week:
    week: str
    opened: int = 0
    closed: int = 0
    urgent: int = 0
    backlog: int = 0  # open at the end of the week (filled in by `with_backlog`)
    response_seconds: list[int] = field(default_factory=list)
    categories: dict[str, list[int]] = field(default_factory=dict)  # category -> [opened, closed, urgent]

    def count(self, category: str, opened: int = 0, closed: int = 0, urgent: int = 0) -> None:
        self.opened += opened
        self.closed += closed
        self.urgent += urgent
        numbers = self.categories.setdefault(category, [0, 0, 0])
        numbers[0] += opened
        numbers[1] += closed
        numbers[2] += urgent

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


async def figures(session, queues: list[str], tz: tzinfo) -> dict[str, QueueFigures]:
    """Every week's figures of each queue, from the first case on (the backlog needs them all)."""
    out = {q: QueueFigures() for q in queues}
    query = select(Case.queue, Case.category, Case.status, Case.urgent, Case.created_at, Case.closed_at,
                   Case.first_response_at).where(Case.queue.in_(queues))
    for queue, category, status, urgent, created, closed, first_response in (await session.execute(query)).all():
        week = out[queue].week(iso_week(created, tz))
        week.count(category, opened=1, urgent=int(bool(urgent)))
        if first_response is not None:
            week.response_seconds.append(int((first_response - created).total_seconds()))
        if status == CLOSED and closed is not None:
            out[queue].week(iso_week(closed, tz)).count(category, closed=1)
    for row in (await session.execute(select(CaseStats).where(CaseStats.queue.in_(queues)))).scalars():
        week = out[row.queue].week(row.week)
        week.count(row.category, opened=row.opened, closed=row.closed, urgent=row.urgent)
        week.response_seconds.extend(json.loads(row.first_response_seconds or "[]"))
    for found in out.values():
        open_cases = 0
        for name in sorted(found):  # ISO weeks sort as text: "2026-W09" < "2026-W10"
            open_cases += found[name].opened - found[name].closed
            found[name].backlog = open_cases
    return out


def duration(seconds: float | None, _=i18n.gettext_for("en")) -> str:
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return _("%(s)s s", s=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return _("%(n)s min", n=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)s h %(m)s min", h=hours, m=str(minutes).zfill(2))
    days, hours = divmod(hours, 24)
    return _("%(d)s d %(h)s h", d=days, h=hours)


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Span:
    """The weeks shown: from the Monday of `first` to the week of `last` (office dates)."""

    first: date | None  # None: from the first case on
    last: date
    weeks: int | None  # the preset chosen, None with dates

    def labels(self, earliest: str | None) -> list[str]:
        first = self.first
        if first is None:
            if earliest is None:
                first = self.last
            else:
                year, week = earliest.split("-W")
                first = date.fromisocalendar(int(year), int(week), 1)
        monday = first - timedelta(days=first.weekday())
        out = []
        while monday <= self.last:
            out.append(week_of(monday))
            monday += timedelta(weeks=1)
        return out


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def span_of(request: web.Request, today: date) -> Span:
    """From `from`/`to` (dates) when given, else the `weeks` preset (default 26)."""
    first, last = _date(request.query.get("from", "")), _date(request.query.get("to", ""))
    if first or last:
        last = min(last or today, today)
        first = first or last - timedelta(weeks=DEFAULT_RANGE)
        if first > last:
            first, last = last, first
        return Span(max(first, last - timedelta(days=MAX_DAYS)), last, None)
    raw = request.query.get("weeks", "")
    weeks = int(raw) if raw.isdigit() and int(raw) in RANGES else DEFAULT_RANGE
    start = first_week_shown(today, weeks, ZoneInfo("UTC"))
    return Span(start.date() if start else None, today, weeks)


def _queues(request: web.Request) -> list[str]:
    staff = request[SIGNED_IN]
    if staff.role == ADMIN:
        return [request.query["queue"]] if request.query.get("queue") in QUEUES else list(QUEUES)
    if staff.role in QUEUES:
        return [staff.role]
    raise web.HTTPNotFound()  # pragma: no cover - every role is a queue or admin


@dataclass
class Section:
    queue: str
    labels: list[str]  # every week of the span, oldest first
    series: list[Week]  # one per label (empty weeks included)
    weeks: list[Week]  # the weeks with figures, newest first (the tables)
    totals: dict[str, object]


def _section(queue: str, found: QueueFigures, span: Span) -> Section:
    labels = span.labels(min(found) if found else None)
    series, backlog = [], 0
    earlier = [name for name in sorted(found) if name < labels[0]] if labels else []
    if earlier:
        backlog = found[earlier[-1]].backlog
    for label in labels:
        week = found.get(label) or Week(label)
        backlog = week.backlog if label in found else backlog
        week.backlog = backlog
        series.append(week)
    shown = [w for w in reversed(series) if w.week in found]
    answered = [s for w in series for s in w.response_seconds]
    totals = {"opened": sum(w.opened for w in series), "closed": sum(w.closed for w in series),
              "urgent": sum(w.urgent for w in series), "answered": len(answered),
              "median": statistics.median(answered) if answered else None,
              "backlog": series[-1].backlog if series else 0}
    return Section(queue, labels, series, shown, totals)


def _charts(section: Section, lang: str, _) -> list:
    weeks, series = section.labels, section.series
    no_data = _("No cases in these weeks.")
    hours = [round(w.median_seconds / 3600, 1) if w.median_seconds is not None else None for w in series]
    categories = sorted({c for w in series for c in w.categories})
    return [
        draw.bars(_("Cases opened and closed per week"), weeks, {
            _("Opened"): [w.opened for w in series], _("Closed"): [w.closed for w in series],
            _("Urgent"): [w.urgent for w in series]}, no_data),
        draw.line(_("Backlog: cases open at the end of the week"), weeks,
                  {_("Open cases"): [w.backlog for w in series]}, no_data),
        draw.line(_("Median time to the first reply (hours)"), weeks, {_("Median"): hours}, no_data, unit="h"),
        draw.bars(_("Cases opened per week by category"), weeks, {
            category_label(section.queue, c, lang): [w.categories.get(c, [0, 0, 0])[0] for w in series]
            for c in categories}, no_data, stacked=True),
    ]


async def _sections(request: web.Request) -> tuple[list[Section], Span]:
    tz = ZoneInfo(runtime(request).config.timezone)
    queues = _queues(request)
    span = span_of(request, now(request).astimezone(tz).date())
    async with runtime(request).db.session() as s:
        found = await figures(s, queues, tz)
    return [_section(q, found[q], span) for q in queues], span


async def statistics_page(request: web.Request) -> web.Response:
    sections, span = await _sections(request)
    lang = language(request)
    _ = i18n.gettext_for(lang)
    shown = [{"queue": s.queue, "weeks": s.weeks, "totals": s.totals, "charts": _charts(s, lang, _)}
             for s in sections]
    return render(request, "statistics.html", {
        "sections": shown, "category_label": lambda q, c: category_label(q, c, lang), "span": span,
        "weeks": span.weeks, "ranges": RANGES, "queue": request.query.get("queue", ""), "queues": QUEUES,
        "duration": lambda seconds: duration(seconds, _), "is_admin": request[SIGNED_IN].role == ADMIN,
        "export": request.query_string,
    })


CSV_COLUMNS = ["queue", "week", "category", "opened", "closed", "urgent", "backlog_end_of_week", "answered",
               "median_first_response_minutes"]


async def statistics_csv(request: web.Request) -> web.Response:
    """The figures shown, as CSV: one row per queue and week (category "all", with the backlog and
    the median first response), then one per category. Counts only."""
    sections, span = await _sections(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for section in sections:
        for week in section.series:
            median = week.median_seconds
            writer.writerow([section.queue, week.week, "all", week.opened, week.closed, week.urgent, week.backlog,
                             len(week.response_seconds), "" if median is None else round(median / 60, 1)])
            for category, (opened, closed, urgent) in sorted(week.categories.items()):
                writer.writerow([section.queue, week.week, category, opened, closed, urgent, "", "", ""])
    first = span.first.isoformat() if span.first else "all"
    name = f"etp-statistics-{first}-to-{span.last.isoformat()}.csv"
    return web.Response(body=("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/statistics", statistics_page, name="statistics")
    app.router.add_get("/statistics.csv", statistics_csv, name="statistics_csv")
