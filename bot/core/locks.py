"""Named leases in the database: one process at a time runs a schedule or refreshes a token."""
from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from bot.core.db import Database
from bot.core.models import Lease, utcnow

PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


async def acquire(db: Database, name: str, ttl: timedelta, owner: str = PROCESS_ID, *, renew: bool = True) -> bool:
    """Take the lease `name` for `ttl`; False when a live lease is held by another owner (or,
    with `renew=False`, by anyone: "at most once per ttl")."""
    now = utcnow()
    live_ok = (Lease.expires_at < now) | (Lease.owner == owner) if renew else (Lease.expires_at < now)
    async with db.session() as s:
        result = await s.execute(
            update(Lease).where(Lease.name == name, live_ok).values(owner=owner, expires_at=now + ttl)
        )
        if result.rowcount:
            return True
    try:
        async with db.session() as s:
            s.add(Lease(name=name, owner=owner, expires_at=now + ttl))
        return True
    except IntegrityError:
        return False


async def release(db: Database, name: str, owner: str = PROCESS_ID) -> None:
    async with db.session() as s:
        await s.execute(update(Lease).where(Lease.name == name, Lease.owner == owner).values(expires_at=utcnow()))
