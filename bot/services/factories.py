"""Factory records imported from the program platform's CSV export (`etp-bot factories import`).

The file is checked completely before anything is written: one bad row refuses the whole file,
and every problem is reported by row number. A good file is an idempotent upsert by
`factory_id`; a column absent from the file leaves that field of existing records as it is.
"""
from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from tqdm import tqdm

from bot.core.csvfile import CsvImportError, ParsedFile, RowError, check_length, parse_count, parse_date, read_rows
from bot.core.models import utcnow
from bot.core.models.factories import CERTIFICATION_STATUSES, Factory

REQUIRED = ("factory_id", "name", "status", "status_since")
OPTIONAL = ("name_zh", "country", "valid_until", "open_minor", "open_major", "open_critical", "audit_firm")
COUNTS = ("open_minor", "open_major", "open_critical")
LENGTHS = {"factory_id": 64, "name": 300, "name_zh": 300, "country": 100, "audit_firm": 100}
BATCH = 1000
PROGRESS_FROM = 2000  # rows; smaller files import without a progress bar


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int

    @property
    def total(self) -> int:
        return self.created + self.updated


def _progress(total: int, desc: str, enabled: bool) -> tqdm:
    return tqdm(total=total, desc=desc, unit="row", file=sys.stderr,
                disable=not enabled or total < PROGRESS_FROM, leave=False)


def _parse_row(values: dict[str, str]) -> dict[str, Any]:
    """One row's values, typed; raises ValueError listing every problem of the row."""
    problems: list[str] = []
    out: dict[str, Any] = {}
    for column in REQUIRED:
        if not values.get(column):
            problems.append(f"missing value for {column}")
    for column, limit in LENGTHS.items():
        if values.get(column):
            try:
                check_length(values[column], column, limit)
            except ValueError as exc:
                problems.append(str(exc))
    status = values.get("status", "").lower()
    if status and status not in CERTIFICATION_STATUSES:
        problems.append(f"unknown status {values['status']!r} (expected one of {', '.join(CERTIFICATION_STATUSES)})")
    parsers = {"status_since": parse_date, "valid_until": parse_date, **{c: parse_count for c in COUNTS}}
    for column, parse in parsers.items():
        if values.get(column):
            try:
                out[column] = parse(values[column], column)
            except ValueError as exc:
                problems.append(str(exc))
        elif column in values:
            out[column] = None  # present but empty: not known
    if out.get("valid_until") and out.get("status_since") and out["valid_until"] < out["status_since"]:
        problems.append("valid_until is before status_since")
    if problems:
        raise ValueError("; ".join(problems))
    for column in ("factory_id", "name", "name_zh", "country", "audit_firm"):
        if column in values:
            out[column] = values[column] or None
    out["status"] = status
    return out


def parse_factories(data: bytes, *, progress: bool = False) -> ParsedFile:
    """Validate a whole file; returns typed rows or raises CsvImportError with every problem."""
    table = read_rows(data, REQUIRED, OPTIONAL)
    rows, errors = table.rows, list(table.errors)
    parsed: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    with _progress(len(rows), "checking", progress) as bar:
        for number, values in rows:
            bar.update()
            problems = []
            fid = values.get("factory_id", "")
            if fid and fid in first_row:
                problems.append(f"duplicate factory_id {fid!r} (first on row {first_row[fid]})")
            first_row.setdefault(fid, number)
            try:
                row = _parse_row(values)
            except ValueError as exc:
                problems.append(str(exc))
            if problems:
                errors.append(RowError(number, "; ".join(problems)))
            else:
                parsed.append(row)
    if errors:
        raise CsvImportError(sorted(errors, key=lambda e: e.row), "factory file")
    return ParsedFile(parsed, table.ignored)


def _batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start:start + BATCH]


async def upsert_factories(session: AsyncSession, rows: list[dict[str, Any]], *,
                           progress: bool = False) -> ImportResult:
    """Create or update factories by `factory_id`, in the caller's transaction."""
    existing = dict((await session.execute(select(Factory.factory_id, Factory.id))).all())
    now = utcnow()
    new = [{**row, "updated_at": now} for row in rows if row["factory_id"] not in existing]
    changed = [{**row, "pk": existing[row["factory_id"]], "updated_at": now}
               for row in rows if row["factory_id"] in existing]
    with _progress(len(rows), "importing", progress) as bar:
        for batch in _batches(new):
            await session.execute(insert(Factory.__table__), batch)  # Core executemany: no ORM bookkeeping
            bar.update(len(batch))
        # one executemany UPDATE by primary key: every row of one file carries the same columns
        # (the SET clause is taken from the parameters' keys)
        table = Factory.__table__
        for batch in _batches(changed):
            await session.execute(update(table).where(table.c.id == bindparam("pk")), batch)
            bar.update(len(batch))
    return ImportResult(created=len(new), updated=len(changed))


async def find_factory(session: AsyncSession, factory_id: str) -> Factory | None:
    return (await session.execute(select(Factory).where(Factory.factory_id == factory_id.strip()))).scalar_one_or_none()
