"""How long a factory's status lasts, from the program's rules in the knowledge base (the one
source: `kb.facts.statuses[status].validity_months`) unless the import gave `valid_until`.

- One allowed period (Certified 12, Probation 12, Progressing 6, Assessed 10 months): the status
  is valid until `status_since` plus that many months.
- Several (Remediation: 9 or 12 months): no end is invented; the periods are stated instead.
- Terminated: nothing is valid; the factory may reapply `validity_months[0]` months after
  `status_since`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from dateutil.relativedelta import relativedelta

if TYPE_CHECKING:  # pragma: no cover
    from knowledge import Facts

TERMINATED = "terminated"


class FactoryDates(Protocol):
    status: str
    status_since: date
    valid_until: date | None


@dataclass(frozen=True)
class Validity:
    end: date | None  # the last day of validity, when known
    months: tuple[int, ...]  # the program's allowed period(s) for the status
    reapply_from: date | None = None  # terminated factories only

    def days_left(self, today: date) -> int | None:
        """Days from today to the end (0: ends today; negative: expired that many days ago)."""
        return (self.end - today).days if self.end else None

    def expired(self, today: date) -> bool:
        return self.end is not None and today > self.end


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's last day (31 Aug + 6 months = 28/29 Feb)."""
    return day + relativedelta(months=months)


def validity_of(factory: FactoryDates, facts: "Facts") -> Validity:
    months = tuple(facts.statuses[factory.status].validity_months)
    if factory.status == TERMINATED:
        return Validity(end=None, months=months, reapply_from=add_months(factory.status_since, months[0]))
    if factory.valid_until is not None:
        return Validity(end=factory.valid_until, months=months)
    if len(months) == 1:
        return Validity(end=add_months(factory.status_since, months[0]), months=months)
    return Validity(end=None, months=months)
