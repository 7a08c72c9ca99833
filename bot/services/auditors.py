"""The register of accredited auditors (`etp-bot auditors import`), so a factory can check the
person at its gate before letting them audit.

An import replaces the whole register (the file is the whole list), all or nothing. A check
confirms only an exact match after normalising letter case, spaces, full-width forms and
Chinese script (Traditional is read as Simplified, with OpenCC as the knowledge base does): a
similar name is never confirmed.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.csvfile import CsvImportError, ParsedFile, RowError, check_length, parse_date, read_rows
from bot.core.models.factories import Auditor
from knowledge.text import to_simplified

REQUIRED = ("firm", "name")
OPTIONAL = ("name_zh", "valid_until")
LENGTHS = {"firm": 100, "name": 200, "name_zh": 200}


def normalise(text: str) -> str:
    """Case, spaces, full-width forms and script folded; nothing else (no fuzzy matching)."""
    folded = to_simplified(unicodedata.normalize("NFKC", text)).casefold()
    return re.sub(r"\s+", "", folded)


def parse_auditors(data: bytes) -> ParsedFile:
    table = read_rows(data, REQUIRED, OPTIONAL)
    rows, errors = table.rows, list(table.errors)
    parsed: list[dict[str, Any]] = []
    first_row: dict[tuple[str, str], int] = {}
    for number, values in rows:
        problems = [f"missing value for {c}" for c in REQUIRED if not values.get(c)]
        for column, limit in LENGTHS.items():
            try:
                check_length(values.get(column, ""), column, limit)
            except ValueError as exc:
                problems.append(str(exc))
        valid_until = None
        if values.get("valid_until"):
            try:
                valid_until = parse_date(values["valid_until"], "valid_until")
            except ValueError as exc:
                problems.append(str(exc))
        if problems:
            errors.append(RowError(number, "; ".join(problems)))
            continue
        key = (normalise(values["firm"]), normalise(values["name"]))
        if key in first_row:
            errors.append(RowError(number, f"duplicate auditor {values['name']!r} of {values['firm']!r} "
                                           f"(first on row {first_row[key]})"))
            continue
        first_row[key] = number
        name_zh = values.get("name_zh") or None
        parsed.append({
            "firm": values["firm"], "name": values["name"], "name_zh": name_zh, "valid_until": valid_until,
            "firm_norm": key[0], "name_norm": key[1], "name_zh_norm": normalise(name_zh) if name_zh else None,
        })
    if errors:
        raise CsvImportError(sorted(errors, key=lambda e: e.row), "auditor file")
    return ParsedFile(parsed, table.ignored)


async def replace_register(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """The register becomes exactly these rows, in the caller's transaction."""
    await session.execute(delete(Auditor))
    if rows:
        await session.execute(insert(Auditor), rows)
    return len(rows)


@dataclass(frozen=True)
class Check:
    """The outcome of a check. `outcome`: confirmed, expired (was accredited, no longer),
    not_listed, or empty_register (nothing can be verified)."""

    outcome: str
    auditors: tuple[Auditor, ...] = ()  # the matching entries (one per firm)
    firms: tuple[str, ...] = ()  # the firms on the register (for a "not listed" answer)


async def register_size(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(Auditor))).scalar_one()


async def check_auditor(session: AsyncSession, name: str, firm: str | None, today: date) -> Check:
    if not await register_size(session):
        return Check("empty_register")
    key = normalise(name)
    stmt = select(Auditor).where(or_(Auditor.name_norm == key, Auditor.name_zh_norm == key))
    if firm:
        stmt = stmt.where(Auditor.firm_norm == normalise(firm))
    matches = list((await session.execute(stmt.order_by(Auditor.id))).scalars()) if key else []
    current = [a for a in matches if a.valid_until is None or a.valid_until >= today]
    if current:
        return Check("confirmed", tuple(current))
    if matches:
        return Check("expired", tuple(matches))
    firms = tuple((await session.execute(select(Auditor.firm).distinct().order_by(Auditor.firm))).scalars())
    return Check("not_listed", firms=firms)
