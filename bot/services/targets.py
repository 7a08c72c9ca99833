"""Response targets of the staff queue: by when staff should answer a case that waits for them
(ETP_RESPONSE_TARGETS, by queue and urgency; defaults: urgent 1 h, otherwise 1 working day), and
whether it is on time, nearly due or late. Working days are Monday to Friday in the office time
zone; a case that arrives at a weekend starts its clock on Monday at midnight."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

ON_TIME, DUE_SOON, LATE = "ok", "soon", "late"
SOON_SHARE = 0.75  # "due soon" once three quarters of the time allowed have gone


@dataclass(frozen=True)
class Target:
    amount: int
    unit: str  # "min", "h" or "d" (working days)

    def due(self, start: datetime, tz: tzinfo) -> datetime:
        if self.unit == "min":
            return start + timedelta(minutes=self.amount)
        if self.unit == "h":
            return start + timedelta(hours=self.amount)
        local = start.astimezone(tz)
        if local.weekday() >= 5:  # a weekend: the clock starts on Monday
            local = datetime.combine(local.date() + timedelta(days=7 - local.weekday()), time(0), tz)
        left, day = self.amount, local
        while left:
            day += timedelta(days=1)
            if day.weekday() < 5:
                left -= 1
        return datetime.combine(day.date(), local.timetz().replace(tzinfo=None), tz)


def target_for(targets: dict[str, tuple[int, str]], queue: str, urgent: bool) -> Target:
    keys = [f"{queue}.urgent", "urgent", queue] if urgent else [queue]
    for key in keys:
        if key in targets:
            return Target(*targets[key])
    return Target(1, "d")


@dataclass(frozen=True)
class Timing:
    due: datetime
    state: str  # ON_TIME, DUE_SOON or LATE


def timing(targets: dict[str, tuple[int, str]], queue: str, urgent: bool, waiting_since: datetime,
           now: datetime, tz: tzinfo) -> Timing:
    due = target_for(targets, queue, urgent).due(waiting_since, tz)
    if now >= due:
        return Timing(due, LATE)
    soon = waiting_since + (due - waiting_since) * SOON_SHARE
    return Timing(due, DUE_SOON if now >= soon else ON_TIME)
