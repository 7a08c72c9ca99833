"""Reading the CSV files staff import (factories, auditors): UTF-8 with or without BOM, else
GB18030 (Excel on Chinese Windows); a header row; every bad row reported with its number.

Row numbers are those a spreadsheet shows: the header is row 1, the first record row 2.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.core.errors import UserError


@dataclass(frozen=True)
class RowError:
    row: int
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


class CsvImportError(UserError):
    """The file was refused as a whole; `errors` lists every problem found."""

    def __init__(self, errors: list[RowError], what: str = "file") -> None:
        self.errors = errors
        shown = "\n".join(str(e) for e in errors)  # all of them: staff fix the file in one go
        super().__init__(f"{what} refused, nothing was imported ({len(errors)} problem(s)):\n{shown}")


def decode(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise UserError("this is an Excel workbook, not CSV: save it as \"CSV UTF-8\" and import that file")
    if b"\x00" in data[:4096]:  # UTF-16 ("Unicode text") or another binary format
        raise UserError("the file is not UTF-8 or GB18030 CSV text: save it as \"CSV UTF-8\"")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise UserError("the file is neither UTF-8 nor GB18030 text; save it as CSV UTF-8") from exc


def read_path(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _column_name(raw: str) -> str:
    return re.sub(r"[\s-]+", "_", raw.strip().lower())


@dataclass(frozen=True)
class Table:
    columns: list[str]  # normalised header names
    rows: list[tuple[int, dict[str, str]]]  # (row number, {column: stripped value})
    errors: list[RowError]
    ignored: tuple[str, ...]  # columns the import does not know (reported, not fatal)


@dataclass(frozen=True)
class ParsedFile:
    """A checked file, ready to write: typed rows, and the columns that were ignored."""

    rows: list[dict[str, Any]]
    ignored_columns: tuple[str, ...] = ()


def read_rows(data: bytes, required: tuple[str, ...], optional: tuple[str, ...]) -> Table:
    """Split the file into rows under its header. Exports may carry more columns than the
    import uses: those are ignored, and named in `ignored` so a misspelt optional column is seen."""
    text = decode(data)
    records = list(csv.reader(io.StringIO(text, newline="")))
    if not records or not any(cell.strip() for cell in records[0]):
        return Table([], [], [RowError(1, "the header row is missing (expected " + ",".join(required) + ")")], ())
    header = [_column_name(c) for c in records[0]]
    known = set(required) | set(optional)
    errors = [RowError(1, f"missing column {name}") for name in required if name not in header]
    errors += [RowError(1, f"column {name} appears twice") for name in sorted(known) if header.count(name) > 1]
    ignored = tuple(name for name in header if name and name not in known)
    if errors:
        return Table(header, [], errors, ignored)
    rows: list[tuple[int, dict[str, str]]] = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # blank lines (often at the end of an export)
        if len(record) != len(header):
            missing = header[len(record):]
            detail = f" (missing {', '.join(missing)})" if missing else ""
            errors.append(RowError(number, f"has {len(record)} values, the header has {len(header)}{detail}"))
            continue
        rows.append(
            (number, {name: value.strip() for name, value in zip(header, record, strict=False) if name in known})
        )
    if not rows and not errors:
        errors.append(RowError(2, "no data rows"))
    return Table(header, rows, errors, ignored)


def parse_date(value: str, column: str) -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"bad date {value!r} in {column} (expected YYYY-MM-DD)") from None


def parse_count(value: str, column: str) -> int:
    if not re.fullmatch(r"\d{1,6}", value):
        raise ValueError(f"bad number {value!r} in {column} (expected a whole number, 0 or more)")
    return int(value)


def check_length(value: str, column: str, limit: int) -> str:
    if len(value) > limit:
        raise ValueError(f"{column} is longer than {limit} characters")
    return value
