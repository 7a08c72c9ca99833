"""Importing the platform's factory export: all or nothing, every bad row named, idempotent."""
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.core.csvfile import CsvImportError
from bot.core.db import Database
from bot.core.models.factories import Factory
from bot.services.factories import parse_factories, upsert_factories
from tests.factories_support import HEADER, csv_bytes


async def _import(db: Database, data: bytes):
    async with db.session() as s:
        return await upsert_factories(s, parse_factories(data).rows)


async def _factories(db: Database) -> dict[str, Factory]:
    async with db.session() as s:
        return {f.factory_id: f for f in (await s.execute(select(Factory))).scalars()}


GOOD = csv_bytes(
    "F-001,Sunny Toys Ltd,Certified,2026-01-15,阳光玩具有限公司,,0,1,0",
    "F-002,Bright Plastics,PROGRESSING,2026-02-01,,2026-08-01,3,,",
    "F-003,Old Mill,terminated,2025-12-01,,,,,",
)


async def test_a_good_file_creates_every_factory(db: Database) -> None:
    result = await _import(db, GOOD)
    assert (result.created, result.updated) == (3, 0)
    f = await _factories(db)
    assert f["F-001"].status == "certified" and f["F-001"].status_since == date(2026, 1, 15)
    assert f["F-001"].name_zh == "阳光玩具有限公司" and f["F-001"].valid_until is None
    assert (f["F-001"].open_minor, f["F-001"].open_major, f["F-001"].open_critical) == (0, 1, 0)
    assert f["F-002"].status == "progressing" and f["F-002"].valid_until == date(2026, 8, 1)
    assert (f["F-002"].open_minor, f["F-002"].open_major, f["F-002"].open_critical) == (3, None, None)
    assert f["F-003"].name_zh is None


async def test_reimport_updates_instead_of_duplicating(db: Database) -> None:
    await _import(db, GOOD)
    result = await _import(db, csv_bytes(
        "F-001,Sunny Toys Limited,remediation,2026-03-01,阳光玩具,2026-12-01,0,0,0",
        "F-004,New Factory,assessed,2026-02-20,,,,,",
    ))
    assert (result.created, result.updated) == (1, 1)
    f = await _factories(db)
    assert len(f) == 4
    assert f["F-001"].name == "Sunny Toys Limited" and f["F-001"].status == "remediation"
    assert f["F-001"].valid_until == date(2026, 12, 1) and f["F-001"].open_major == 0
    assert f["F-002"].name == "Bright Plastics"  # not in the second file: left as it was


async def test_a_column_absent_from_the_file_keeps_its_stored_values(db: Database) -> None:
    await _import(db, GOOD)
    await _import(db, csv_bytes("F-001,Sunny Toys Ltd,certified,2026-01-15",
                                header="factory_id,name,status,status_since"))
    f = (await _factories(db))["F-001"]
    assert f.name_zh == "阳光玩具有限公司" and f.open_major == 1


async def test_every_bad_row_is_reported_by_number_and_nothing_is_imported(db: Database) -> None:
    data = csv_bytes(
        "F-001,Good Factory,certified,2026-01-15,,,,,",        # row 2: fine
        "F-002,Typo Status,certifed,2026-01-15,,,,,",          # row 3
        "F-003,Bad Date,assessed,15/01/2026,,,,,",             # row 4
        "F-004,Impossible Date,assessed,2026-02-30,,,,,",      # row 5
        "F-001,Same Id,probation,2026-01-15,,,,,",             # row 6
        "F-005,Short Row,certified",                           # row 7
        "F-006,Bad Count,certified,2026-01-15,,,many,,",       # row 8
        ",No Id,certified,2026-01-15,,,,,",                    # row 9
        "F-007,Ends Early,certified,2026-01-15,,2025-12-31,,,",  # row 10
    )
    with pytest.raises(CsvImportError) as caught:
        parse_factories(data)
    by_row = {e.row: e.reason for e in caught.value.errors}
    assert set(by_row) == {3, 4, 5, 6, 7, 8, 9, 10}
    assert "unknown status 'certifed'" in by_row[3]
    assert "bad date '15/01/2026' in status_since" in by_row[4]
    assert "bad date '2026-02-30'" in by_row[5]
    assert "duplicate factory_id 'F-001' (first on row 2)" in by_row[6]
    assert "missing status_since" in by_row[7]
    assert "bad number 'many' in open_minor" in by_row[8]
    assert "missing value for factory_id" in by_row[9]
    assert "valid_until is before status_since" in by_row[10]
    message = str(caught.value)
    assert "nothing was imported" in message and all(f"row {n}:" in message for n in by_row)
    assert await _factories(db) == {}


async def test_one_bad_row_refuses_the_file_even_after_good_rows_were_stored_before(db: Database) -> None:
    await _import(db, GOOD)
    with pytest.raises(CsvImportError):
        parse_factories(csv_bytes("F-001,Renamed,certified,2026-01-15,,,,,", "F-009,Bad,unknown,2026-01-15,,,,,"))
    assert (await _factories(db))["F-001"].name == "Sunny Toys Ltd"


def test_a_missing_column_is_reported_as_row_1() -> None:
    with pytest.raises(CsvImportError) as caught:
        parse_factories(b"factory_id,name,status\nF-1,X,certified\n")
    assert [str(e) for e in caught.value.errors] == ["row 1: missing column status_since"]


async def test_extra_columns_are_ignored_and_named(db: Database) -> None:
    parsed = parse_factories(b"factory_id,name,status,status_since,valid_untill,address\n"
                             b"F-1,X,certified,2026-01-01,2026-06-01,Dongguan\n")
    assert parsed.ignored_columns == ("valid_untill", "address")  # a misspelt column is seen, not used
    async with db.session() as s:
        await upsert_factories(s, parsed.rows)
    assert (await _factories(db))["F-1"].valid_until is None


def test_a_file_without_rows_is_refused() -> None:
    with pytest.raises(CsvImportError, match="no data rows"):
        parse_factories(HEADER.encode() + b"\n\n")
    with pytest.raises(CsvImportError, match="header row is missing"):
        parse_factories(b"")


async def test_utf8_with_bom_and_gb18030_files_are_read(db: Database) -> None:
    row = "F-010,Guangdong Toys,certified,2026-01-15,广东玩具厂,,,,"
    await _import(db, b"\xef\xbb\xbf" + csv_bytes(row))  # Excel's "CSV UTF-8"
    assert (await _factories(db))["F-010"].name_zh == "广东玩具厂"
    gb = csv_bytes("F-011,Dongguan Toys,assessed,2026-01-15,东莞玩具厂,,,,", encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")  # the test file really is not UTF-8
    await _import(db, gb)
    assert (await _factories(db))["F-011"].name_zh == "东莞玩具厂"


@pytest.mark.parametrize("data, hint", [
    (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
    ((HEADER + "\n").encode("utf-16"), "CSV UTF-8"),
])
def test_files_that_are_not_csv_text_get_a_clear_error(data: bytes, hint: str) -> None:
    from bot.core.errors import UserError

    with pytest.raises(UserError, match=hint):
        parse_factories(data)


async def test_header_names_tolerate_case_and_spaces(db: Database) -> None:
    await _import(db, b"Factory ID, Name ,STATUS,Status Since\nF-020,Spaced,Probation,2026-01-02\n")
    assert (await _factories(db))["F-020"].status == "probation"


async def test_large_files_show_a_progress_bar_on_stderr(db: Database, capsys) -> None:
    rows = [f"F-{n:05d},Factory {n},certified,2026-01-15,,,,," for n in range(2500)]
    async with db.session() as s:
        result = await upsert_factories(s, parse_factories(csv_bytes(*rows), progress=True).rows, progress=True)
    assert result.created == 2500
    err = capsys.readouterr().err
    assert "checking" in err and "importing" in err and "2500" in err
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(Factory))).scalar_one() == 2500
