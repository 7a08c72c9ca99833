"""Computed answers: the fee of N man-days, the total cost, blackout dates, the end of a status's
validity, the Progress Visit's contact window. Figures come from ``facts.toml`` and ``calendar.toml``;
the wording from the entry's ``templates`` (``{$slot}`` placeholders)."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping

from knowledge import parsing
from knowledge.model import BlackoutWindow, Entry, Facts

SLOT_RE = re.compile(r"\{\$(\w+)\}")


def fmt(value: object, lang: str) -> str:
    """A slot's value as the answer prints it (dates per language, thousands separators)."""
    if isinstance(value, dt.date):
        if lang == "zh":
            return f"{value.year}年{value.month}月{value.day}日"
        return f"{value.day} {value.strftime('%B')} {value.year}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def fill(text: str, **slots: str) -> str:
    """A message's ``{$name}`` placeholders filled with ready-made strings (missing ones left empty)."""
    return SLOT_RE.sub(lambda m: slots.get(m.group(1), ""), text)


class Calculator:
    """The computed answers over one knowledge base's facts, calendar and messages."""

    def __init__(self, facts: Facts, blackouts: list[BlackoutWindow], messages: Mapping[str, Mapping[str, str]]):
        self.facts = facts
        self.blackouts = blackouts
        self.messages = messages
        self._compute: dict[str, Callable[[Entry, str, dt.date, dict], str | None]] = {
            "audit_fee": self.audit_fee, "total_cost": self.total_cost, "blackout": self.blackout,
            "validity": self.validity, "pv_window": self.pv_window}

    def render(self, entry: Entry, lang: str, today: dt.date, slots: dict) -> str | None:
        """The entry's computed text for these slots, or None (the plain answer applies)."""
        return self._compute[entry.compute](entry, lang, today, slots) if entry.compute else None

    def blackout_for(self, day: dt.date) -> BlackoutWindow | None:
        for w in self.blackouts:
            if w.contains(day):
                return w
        return None

    @staticmethod
    def template(entry: Entry, tname: str, lang: str, /, **slots: object) -> str:
        return SLOT_RE.sub(lambda m: fmt(slots[m.group(1)], lang), entry.templates[tname][lang])

    def audit_fee(self, entry: Entry, lang: str, today: dt.date, slots: dict) -> str | None:
        """N man-days × the fee per man-day."""
        n = slots.get("man_days")
        if n is None:
            return None
        fee = float(n) * self.facts.fees.audit_per_man_day_usd
        return self.template(entry, "computed", lang, n=float(n), audit=fee)

    def total_cost(self, entry: Entry, lang: str, today: dt.date, slots: dict) -> str | None:
        """Registration + N man-days of audit + certification."""
        n = slots.get("man_days")
        if n is None:
            return None
        f = self.facts.fees
        audit = float(n) * f.audit_per_man_day_usd
        total = f.registration_usd + audit + f.certification_usd
        return self.template(entry, "computed", lang, n=float(n), audit=audit, total=float(total))

    def blackout(self, entry: Entry, lang: str, today: dt.date, slots: dict) -> str | None:
        """Whether dates or months fall in a blackout window; else the windows of the years asked
        (or the coming ones)."""
        dates = slots.get("dates")
        if dates:
            parts = []
            for d in dates[:2]:
                w = self.blackout_for(d)
                if w is not None:
                    parts.append(self.template(entry, "in_window", lang, date=d, name=self._name(w, lang),
                                               start=w.start, end=w.end))
                else:
                    parts.append(self.template(entry, "outside", lang, date=d,
                                               windows=self.windows_text(lang, d.year)))
            return " ".join(parts)
        months = slots.get("months")
        if months:
            parts = []
            for y, m in months[:2]:
                first = dt.date(y, m, 1)
                last = parsing.add_months(first, 1) - dt.timedelta(days=1)
                label = f"{y}年{m}月" if lang == "zh" else f"{first.strftime('%B')} {y}"
                hits = [w for w in self.blackouts if w.start <= last and w.end >= first]
                if hits:
                    w = hits[0]
                    parts.append(self.template(entry, "month_overlap", lang, month=label, name=self._name(w, lang),
                                               start=w.start, end=w.end))
                else:
                    parts.append(self.template(entry, "month_outside", lang, month=label,
                                               windows=self.windows_text(lang, y)))
            return " ".join(parts)
        years = slots.get("years") or []
        want = [w for w in self.blackouts if years and (w.start.year in years or w.end.year in years)]
        if not want:
            want = [w for w in self.blackouts if w.end >= today] if not years else []
        if want:
            return " ".join(self.template(entry, "window", lang, name=self._name(w, lang), start=w.start, end=w.end)
                            for w in want)
        latest = self.blackouts[-1] if self.blackouts else None
        if latest is None:
            return self.template(entry, "none", lang, year=str(years[0] if years else today.year))
        tname = "none_since" if years else "none_upcoming"
        return self.template(entry, tname, lang, year=str(years[0] if years else today.year),
                             name=self._name(latest, lang), start=latest.start, end=latest.end)

    @staticmethod
    def _name(w: BlackoutWindow, lang: str) -> str:
        return w.name_en if lang == "en" else w.name_zh

    def windows_text(self, lang: str, year: int) -> str:
        ws = [w for w in self.blackouts if w.start.year == year or w.end.year == year] or self.blackouts[-1:]
        sep = "; " if lang == "en" else "；"
        if lang == "zh":
            return sep.join(f"{w.name_zh}：{fmt(w.start, lang)}至{fmt(w.end, lang)}" for w in ws)
        return sep.join(f"{w.name_en}: {fmt(w.start, lang)} – {fmt(w.end, lang)}" for w in ws)

    def validity(self, entry: Entry, lang: str, today: dt.date, slots: dict) -> str | None:
        """The end of a status's validity from its start date, and the days left from today
        (Remediation: 9 and 12 months; Terminated: the earliest reapplication)."""
        dates = slots.get("dates")
        status = slots.get("status") or entry.id.split(".", 1)[1]
        if not dates or status not in self.facts.statuses:
            return None
        st = self.facts.statuses[status]
        start = dates[0]
        name = st.name_en if lang == "en" else st.name_zh
        parts = []
        for months in st.validity_months:
            end = parsing.add_months(start, months)
            left = (end - today).days
            tname = "reapply" if status == "terminated" else "validity"
            tname += "_left" if left >= 0 else "_past"
            parts.append(self.template(entry, tname, lang, status=name, months=months, start=start, end=end,
                                       days=abs(left), today=today))
        return " ".join(parts)

    def validity_month(self, status: str, start: tuple[int, int], lang: str, today: dt.date) -> str:
        """A status from a month without a day ("terminated in March 2024"): the month it ends."""
        st = self.facts.statuses[status]
        name = st.name_en if lang == "en" else st.name_zh

        def label(y: int, m: int) -> str:
            return f"{y}年{m}月" if lang == "zh" else f"{dt.date(y, m, 1).strftime('%B')} {y}"

        parts = []
        for n in st.validity_months:
            end = parsing.add_months(dt.date(start[0], start[1], 1), n)
            key = "reapply_month" if status == "terminated" else "validity_month"
            if (end.year, end.month) < (today.year, today.month):
                key += "_past"
            parts.append(fill(self.messages[key][lang], status=name, months=str(n), start=label(*start),
                              end=label(end.year, end.month)))
        return " ".join(parts)

    def pv_window(self, entry: Entry, lang: str, today: dt.date, slots: dict) -> str | None:
        """From a certification date: the dates between which the PV firm should make contact."""
        dates = slots.get("dates")
        if not dates:
            return None
        raw = self.facts.raw.get("pv", {})
        start = dates[0]
        first = parsing.add_months(start, int(raw.get("contact_from_months", 2)))
        last = parsing.add_months(start, int(raw.get("contact_to_months", 4)))
        return self.template(entry, "computed", lang, start=start, first=first, last=last)
