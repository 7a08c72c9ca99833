"""Slots found in questions: numbers of man-days, dates, factory statuses (English and Chinese)."""
from __future__ import annotations

import datetime as dt
import re

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_EN_NUMS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "half": 0.5,
            "a": 1, "an": 1}
ZH_NUM_CHARS = "零〇一二两俩三四五六七八九十百千半"


def zh_number(s: str) -> float | None:
    """Parse a Chinese numeral ('五', '十二', '二十五', '一百零五', '两', '半', '1.5') or digits."""
    s = s.strip()
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        pass
    if s == "半":
        return 0.5
    half = s.endswith("半")
    if half:
        s = s[:-1]
    total, current = 0, 0
    for ch in s:
        if ch in _ZH_DIGITS:
            current = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            total += (current or 1) * _ZH_UNITS[ch]
            current = 0
        else:
            return None
    value = total + current
    return value + 0.5 if half else float(value)


_NUM = r"(\d+(?:\.\d+)?|" + "|".join(sorted(_EN_NUMS, key=len, reverse=True)) + r")"
_EN_MANDAY_RE = re.compile(r"\b" + _NUM + r"\s*(?:(?:man|person|auditor|men)\s*days?|mds?)\b")
_ZH_MANDAY_RE = re.compile(r"([0-9.]+|[" + ZH_NUM_CHARS + r"]+)\s*个?\s*(?:人日|人天|工日|人\s*日|人\s*/\s*天|md)")


def man_days(norm: str) -> float | None:
    """Number of audit man-days mentioned in a normalised question, if any."""
    m = _EN_MANDAY_RE.search(norm)
    if m:
        tok = m.group(1)
        if tok in _EN_NUMS:
            return float(_EN_NUMS[tok])
        return float(tok)
    m = _ZH_MANDAY_RE.search(norm)
    if m:
        return zh_number(m.group(1))
    return None


_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
           "sept": 9, "oct": 10, "nov": 11, "dec": 12}
_MON = r"(jan|feb|mar|apr|may|jun|jul|aug|sept|sep|oct|nov|dec)[a-z]*"
_ISO_RE = re.compile(r"\b(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\b")
_ZH_FULL_RE = re.compile(r"(\d{4}|[零〇一二三四五六七八九]{4})\s*年\s*([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*月\s*"
                         r"([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]?")
_ZH_MD_RE = re.compile(r"(?<![0-9年])([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*月\s*([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]")
_DMY_RE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MON + r"\b(?:\s*,?\s*(\d{4}))?")
_MDY_RE = re.compile(r"\b" + _MON + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:\s*,?\s*(\d{4}))?")
_SLASH_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")


def _mk(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _zh_year(s: str) -> int:
    if s.isdigit():
        return int(s)
    return int("".join(str(_ZH_DIGITS[c]) for c in s))


def dates(text: str, today: dt.date) -> list[dt.date]:
    """Dates written in the question, in order; a missing year is today's year.

    ``text`` should be NFKC-normalised and lower-cased (but may keep '/', '-', '.').
    """
    found: list[tuple[int, dt.date]] = []
    spans: list[tuple[int, int]] = []

    def free(m: re.Match[str]) -> bool:
        return all(m.end() <= a or m.start() >= b for a, b in spans)

    def add(m: re.Match[str], d: dt.date | None) -> None:
        if d is not None and free(m):
            found.append((m.start(), d))
            spans.append((m.start(), m.end()))

    for m in _ISO_RE.finditer(text):
        add(m, _mk(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for m in _ZH_FULL_RE.finditer(text):
        mo, da = zh_number(m.group(2)), zh_number(m.group(3))
        if mo and da:
            add(m, _mk(_zh_year(m.group(1)), int(mo), int(da)))
    for m in _ZH_MD_RE.finditer(text):
        mo, da = zh_number(m.group(1)), zh_number(m.group(2))
        if mo and da:
            add(m, _mk(today.year, int(mo), int(da)))
    for m in _DMY_RE.finditer(text):
        y = int(m.group(3)) if m.group(3) else today.year
        add(m, _mk(y, _MONTHS[m.group(2)], int(m.group(1))))
    for m in _MDY_RE.finditer(text):
        y = int(m.group(3)) if m.group(3) else today.year
        add(m, _mk(y, _MONTHS[m.group(1)], int(m.group(2))))
    for m in _SLASH_RE.finditer(text):
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12 >= b:  # unambiguous day/month/year
            add(m, _mk(int(m.group(3)), b, a))
        elif b > 12 >= a:  # unambiguous month/day/year
            add(m, _mk(int(m.group(3)), a, b))
    return [d for _, d in sorted(found, key=lambda x: x[0])]


_YEAR_RE = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


def years(text: str) -> list[int]:
    return [int(y) for y in _YEAR_RE.findall(text)]


def add_months(d: dt.date, months: int) -> dt.date:
    """Same day ``months`` later (clamped to the month's last day)."""
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    import calendar

    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


_MONTH_EN_RE = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sept|sep|oct|nov|dec)[a-z]*\b(?:\s*,?\s*(\d{4}))?")
_MONTH_ZH_RE = re.compile(r"(?:(\d{4})\s*年\s*)?(?<![0-9])([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*月(?!\s*[0-9一二三四五六七八九十]+\s*[日号])")
_MONTH_WORDS = {"january", "february", "march", "april", "june", "july", "august", "september", "october",
                "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
                "nov", "dec"}


def months(text: str, today: dt.date) -> list[tuple[int, int]]:
    """(year, month) named without a day: 'late January 2024', 'in March', '2月份', '2024年1月底'.
    A missing year is today's. 'may' counts only with a year ('May 2024'): it is usually the verb."""
    out = []
    for m in _MONTH_EN_RE.finditer(text):
        word = m.group(0).split()[0].rstrip(",")
        if word not in _MONTH_WORDS and not (word == "may" and m.group(2)):
            continue
        out.append((int(m.group(2)) if m.group(2) else today.year, _MONTHS[m.group(1)]))
    for m in _MONTH_ZH_RE.finditer(text):
        mo = zh_number(m.group(2))
        if mo and 1 <= mo <= 12:
            out.append((int(m.group(1)) if m.group(1) else today.year, int(mo)))
    return out
