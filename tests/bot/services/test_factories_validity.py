"""Validity periods come from the knowledge base's facts, with calendar-month arithmetic."""
from dataclasses import dataclass, replace
from datetime import date

import pytest

from bot.services.validity import add_months, validity_of
from knowledge import load_default


@dataclass
class Record:
    status: str
    status_since: date
    valid_until: date | None = None


@pytest.fixture(scope="module")
def facts():
    return load_default().facts


@pytest.mark.parametrize("status, since, end", [
    ("certified", date(2026, 1, 15), date(2027, 1, 15)),    # 12 months
    ("probation", date(2025, 3, 2), date(2026, 3, 2)),      # 12 months
    ("progressing", date(2025, 10, 20), date(2026, 4, 20)),  # 6 months
    ("assessed", date(2025, 5, 1), date(2026, 3, 1)),       # 10 months
])
def test_single_period_statuses_end_that_many_months_later(facts, status: str, since: date, end: date) -> None:
    assert validity_of(Record(status, since), facts).end == end


def test_month_ends_are_clamped() -> None:
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)


def test_remediation_without_an_end_date_states_both_periods_and_invents_none(facts) -> None:
    v = validity_of(Record("remediation", date(2026, 1, 5)), facts)
    assert v.end is None and v.months == (9, 12)
    given = validity_of(Record("remediation", date(2026, 1, 5), date(2026, 10, 5)), facts)
    assert given.end == date(2026, 10, 5)


def test_the_csv_end_date_wins_over_the_rule(facts) -> None:
    assert validity_of(Record("certified", date(2026, 1, 15), date(2026, 12, 31)), facts).end == date(2026, 12, 31)


def test_terminated_has_no_validity_but_an_earliest_reapplication_date(facts) -> None:
    v = validity_of(Record("terminated", date(2025, 12, 1), date(2026, 12, 1)), facts)
    assert v.end is None and v.reapply_from == date(2026, 6, 1)


def test_days_left_and_expiry() -> None:
    from bot.services.validity import Validity

    v = Validity(end=date(2026, 6, 10), months=(12,))
    assert v.days_left(date(2026, 3, 2)) == 100 and not v.expired(date(2026, 6, 10))
    assert v.days_left(date(2026, 6, 11)) == -1 and v.expired(date(2026, 6, 11))


def test_the_rules_have_one_source_the_knowledge_base(facts) -> None:
    """Changing the fact changes the answer: nothing is hard-coded beside it."""
    statuses = dict(facts.statuses)
    statuses["certified"] = replace(statuses["certified"], validity_months=(24,))
    changed = replace(facts, statuses=statuses)
    assert validity_of(Record("certified", date(2026, 1, 15)), changed).end == date(2028, 1, 15)
