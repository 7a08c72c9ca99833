"""A factory's status as words: used by `/status` and by the validity reminders."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.core.models.factories import Factory
from bot.core.texts import t
from bot.services.validity import Validity, validity_of

if TYPE_CHECKING:  # pragma: no cover
    from knowledge import Facts

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def fmt_date(day: date, lang: str) -> str:
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def fmt_days(n: int, lang: str) -> str:
    if lang == "zh":
        return f"{n} 天"
    return "1 day" if n == 1 else f"{n} days"


def fmt_months(months: tuple[int, ...], lang: str) -> str:
    words = [str(m) for m in months]
    joiner = "或" if lang == "zh" else " or "
    return ", ".join(words[:-1]) + joiner + words[-1] if len(words) > 1 else words[0]


def factory_name(factory: Factory, lang: str) -> str:
    return factory.name_zh if lang == "zh" and factory.name_zh else factory.name


def status_name(factory: Factory, facts: "Facts", lang: str) -> str:
    status = facts.statuses[factory.status]
    return status.name_zh if lang == "zh" else status.name_en


def heading(factory: Factory, lang: str) -> str:
    return t("status.factory", lang, name=factory_name(factory, lang), factory_id=factory.factory_id)


def validity_line(factory: Factory, facts: "Facts", v: Validity, today: date, lang: str) -> str:
    status = status_name(factory, facts, lang)
    if v.reapply_from is not None:
        months = v.months[0]
        if today >= v.reapply_from:
            return t("status.reapply_now", lang, months=months, date=fmt_date(v.reapply_from, lang))
        return t("status.reapply_from", lang, months=months, date=fmt_date(v.reapply_from, lang),
                 days=fmt_days((v.reapply_from - today).days, lang))
    if v.end is None:
        return t("status.period_only", lang, status=status, months=fmt_months(v.months, lang))
    left = v.days_left(today)
    end = fmt_date(v.end, lang)
    if left < 0:
        return t("status.expired", lang, status=status, end=end, days=fmt_days(-left, lang))
    if left == 0:
        return t("status.last_day", lang, end=end)
    return t("status.valid_until", lang, end=end, days=fmt_days(left, lang))


def nc_line(factory: Factory, lang: str) -> str | None:
    """Open non-compliances by level, only the levels the import gave."""
    known = [(key, n) for key, n in (("status.nc.critical", factory.open_critical), ("status.nc.major", factory.open_major),
                                     ("status.nc.minor", factory.open_minor)) if n is not None]
    if not known:
        return None
    if all(n == 0 for _, n in known) and len(known) == 3:
        return t("status.ncs_none", lang)
    sep = "，" if lang == "zh" else ", "
    return t("status.ncs", lang, counts=sep.join(t(key, lang, n=n) for key, n in known))


def open_ncs(factory: Factory) -> int | None:
    counts = (factory.open_critical, factory.open_major, factory.open_minor)
    return None if all(n is None for n in counts) else sum(n or 0 for n in counts)


def progressing_line(factory: Factory, v: Validity, today: date, lang: str) -> str | None:
    """Progressing lapses at the end of its period: say what must be closed before then."""
    if factory.status != "progressing" or v.end is None or v.expired(today):
        return None
    n = open_ncs(factory)
    end = fmt_date(v.end, lang)
    if n is None:
        return t("status.progressing_deadline_unknown", lang, end=end)
    return t("status.progressing_deadline", lang, n=n, end=end) if n else None


def status_report(factory: Factory, facts: "Facts", today: date, lang: str) -> str:
    v = validity_of(factory, facts)
    status = facts.statuses[factory.status]
    lines = [
        heading(factory, lang),
        t("status.since", lang, status=status_name(factory, facts, lang), since=fmt_date(factory.status_since, lang)),
        validity_line(factory, facts, v, today, lang),
        nc_line(factory, lang),
        progressing_line(factory, v, today, lang),
        t("status.next_steps", lang, text=status.next_steps_zh if lang == "zh" else status.next_steps_en),
    ]
    return "\n".join(line for line in lines if line)


def reminder_text(factory: Factory, facts: "Facts", v: Validity, today: date, lang: str) -> str:
    assert v.end is not None
    left = v.days_left(today)
    lines = [
        t("reminder.intro", lang, status=status_name(factory, facts, lang), name=factory_name(factory, lang),
          factory_id=factory.factory_id, end=fmt_date(v.end, lang)),
        t("reminder.last_day", lang) if left == 0 else t("reminder.days_left", lang, days=fmt_days(left, lang)),
        progressing_line(factory, v, today, lang),
        t("reminder.more", lang),
    ]
    return "\n".join(line for line in lines if line)
