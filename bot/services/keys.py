"""Key rotation: re-encrypt every encrypted column and re-hash contact look-up hashes under the
current ETP_SECRET_KEY, reading old data with ETP_OLD_SECRET_KEYS.

Encrypted columns are found by name (`*_enc`) in every table, so feature tables are covered
without being listed here. Look-up hashes whose input is stored encrypted (contacts, case references) are recomputed;
those whose input is not stored (binding-code hashes, staff
session ids) cannot be recomputed: codes expire within ETP_CODE_TTL_DAYS and staff sign in again,
so keep the old key in ETP_OLD_SECRET_KEYS until then (docs/operations.md).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Table, select, update

from bot.core.crypto import Secrets
from bot.core.db import Database
from bot.core.models import Base
from bot.services.contacts import contact_key, split_address

BATCH = 500
BATCH_OF = {"case_evidence": 5}  # rows of megabytes: a few at a time


@dataclass
class RotationReport:
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def encrypted_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.name.endswith("_enc")]


def _rehash_contact(secrets: Secrets, row: dict) -> dict:
    platform_id, _place = split_address(secrets.decrypt(row["platform_id_enc"]))
    return {"key_hash": secrets.lookup_hash(contact_key(row["channel"], platform_id))}


def _rehash_case(secrets: Secrets, row: dict) -> dict:
    return {"ref_hash": secrets.lookup_hash(secrets.decrypt(row["reference_enc"]))}


# table name -> (columns the rule reads, rule producing new hash columns)
REHASH: dict[str, tuple[list[str], Callable[[Secrets, dict], dict]]] = {
    "contacts": (["channel", "platform_id_enc"], _rehash_contact),
    "cases": (["reference_enc"], _rehash_case),
}


async def rotate_keys(
    db: Database, secrets: Secrets, progress: Callable[[str, int], None] | None = None
) -> RotationReport:
    report = RotationReport()
    for table in Base.metadata.sorted_tables:
        enc_cols = encrypted_columns(table)
        rehash = REHASH.get(table.name)
        if not enc_cols and not rehash:
            continue
        pk = list(table.primary_key.columns)[0]
        read_cols = sorted(set(enc_cols) | set(rehash[0] if rehash else []))
        last = None
        while True:
            async with db.session() as s:
                q = select(pk, *[table.c[c] for c in read_cols]).order_by(pk).limit(BATCH_OF.get(table.name, BATCH))
                if last is not None:
                    q = q.where(pk > last)
                rows = [dict(r._mapping) for r in (await s.execute(q))]
                for row in rows:
                    values = {c: secrets.rotate(row[c]) for c in enc_cols if row[c]}
                    if rehash:
                        values.update(rehash[1](secrets, row))
                    if values:
                        await s.execute(update(table).where(pk == row[pk.name]).values(**values))
            if not rows:
                break
            last = rows[-1][pk.name]
            report.rows[table.name] = report.rows.get(table.name, 0) + len(rows)
            if progress:
                progress(table.name, len(rows))
    return report
