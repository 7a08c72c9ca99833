"""Creating and upgrading the schema, one process at a time."""
from __future__ import annotations

from .db import Database


async def upgrade(db: Database) -> None:
    await db.create_schema()
