"""Shared helpers of the factory-account tests: CSV files and records in a real database."""
from __future__ import annotations

from datetime import timedelta

from bot.services.bindings import issue_code
from bot.services.factories import parse_factories, upsert_factories

HEADER = "factory_id,name,status,status_since,name_zh,valid_until,open_minor,open_major,open_critical"


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


async def import_rows(db, *rows: str, header: str = HEADER) -> None:
    async with db.session() as s:
        await upsert_factories(s, parse_factories(csv_bytes(*rows, header=header)).rows)


async def new_code(runtime, factory_id: str, days: int = 7) -> str:
    """A code issued by staff at the test clock's time."""
    async with runtime.db.session() as s:
        return await issue_code(s, runtime.services.secrets, factory_id, timedelta(days=days),
                                now=runtime.services.clock())
