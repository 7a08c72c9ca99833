"""When a person will answer: the helpline's daily hours and holiday closures come from the
knowledge base (facts.toml, calendar.toml), in the configured time zone."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_HOURS = (time(9, 0), time(21, 0))
_RANGE = re.compile(r"(\d{1,2}):(\d{2})\s*[-–~至到]\s*(\d{1,2}):(\d{2})")


def helpline_hours(kb) -> tuple[time, time]:
    raw = getattr(kb.facts.contacts.helpline, "hours", None) or ""
    m = _RANGE.search(raw)
    if not m:
        return DEFAULT_HOURS
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    return time(h1, m1), time(min(h2, 23), m2 if h2 < 24 else 59)


def next_opening(kb, tz: ZoneInfo, now: datetime) -> tuple[datetime | None, bool]:
    """(None, False) when the helpline is open now; else (local opening time, closed for a
    holiday)."""
    start, end = helpline_hours(kb)
    local = now.astimezone(tz)
    holiday = kb.helpline_closed_on(local.date())
    if not holiday and start <= local.time() < end:
        return None, False
    day = local.date() if (not holiday and local.time() < start) else local.date() + timedelta(days=1)
    for _ in range(60):  # a closure longer than two months is not in any calendar
        if not kb.helpline_closed_on(day):
            break
        holiday = True
        day += timedelta(days=1)
    return datetime.combine(day, start, tzinfo=tz), holiday


def format_local(moment: datetime, lang: str) -> str:
    if lang == "zh":
        return f"{moment.month}月{moment.day}日 {moment:%H:%M}"
    return f"{moment:%H:%M} on {moment:%a} {moment.day} {moment:%b}"
