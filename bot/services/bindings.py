"""One-time binding codes and the bindings they create between chat accounts and factories.

Codes are 8 characters of Crockford base-32 (40 random bits), shown as `ABCD-EFGH` and accepted
in any case, with or without the dash, with I/L read as 1 and O as 0. Only a keyed hash is
stored; a code expires and is consumed once. These functions are the service layer used by the
chat commands, the command line and the staff console; they never see a chat id.
"""
from __future__ import annotations

import re
import secrets as random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.crypto import Secrets
from bot.core.dialect import insert_ignore
from bot.core.models import Contact, utcnow
from bot.core.models.factories import Binding, BindingCode, Factory
from bot.services.factories import find_factory

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base-32
CODE_LENGTH = 8
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


class UnknownFactory(LookupError):
    def __init__(self, factory_id: str) -> None:
        super().__init__(f"no factory with id {factory_id!r}")
        self.factory_id = factory_id


def new_code() -> str:
    return "".join(random.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalise_code(text: str) -> str | None:
    """The canonical code typed in `text`, or None when it cannot be a code."""
    raw = re.sub(r"[\s\-_]", "", text).upper().translate(_READ_AS)
    if len(raw) != CODE_LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return raw


def _hash_input(code: str) -> str:
    return "binding-code:" + code


async def issue_code(session: AsyncSession, secrets: Secrets, factory_id: str, ttl: timedelta, *,
                     now: datetime | None = None) -> str:
    """A new one-time code for the factory, formatted for people (`ABCD-EFGH`)."""
    factory = await find_factory(session, factory_id)
    if factory is None:
        raise UnknownFactory(factory_id)
    now = now or utcnow()
    while True:  # a collision among 32**8 codes is next to impossible, but cheap to rule out
        code = new_code()
        inserted = await insert_ignore(session, BindingCode.__table__, {
            "factory_pk": factory.id, "code_hash": secrets.lookup_hash(_hash_input(code)),
            "created_at": now, "expires_at": now + ttl, "consumed_at": None,
        }, ["code_hash"])
        if inserted:
            return format_code(code)


@dataclass(frozen=True)
class Redeemed:
    factory: Factory
    already: bool  # this account was bound by this code before (the code was sent again)


async def redeem_code(session: AsyncSession, secrets: Secrets, contact: Contact, code: str, *,
                      now: datetime | None = None) -> Redeemed | None:
    """Bind the contact to the code's factory and consume the code. None when the code is
    unknown, expired or used by someone else: callers must not say which."""
    now = now or utcnow()
    row = (await session.execute(
        select(BindingCode).where(BindingCode.code_hash.in_(secrets.lookup_hashes(_hash_input(code))))
    )).scalar_one_or_none()
    if row is None:
        return None
    if row.consumed_at is not None:
        mine = (await session.execute(select(Binding).where(
            Binding.code_id == row.id, Binding.contact_id == contact.id, Binding.revoked_at.is_(None)
        ))).scalar_one_or_none()
        return Redeemed(await session.get(Factory, row.factory_pk), already=True) if mine else None
    # consume atomically: of two people sending the same code at once, one wins
    won = await session.execute(
        update(BindingCode)
        .where(BindingCode.id == row.id, BindingCode.consumed_at.is_(None), BindingCode.expires_at > now)
        .values(consumed_at=_to_the_hour(now))
        .execution_options(synchronize_session=False)
    )
    if not won.rowcount:
        return None
    await _bind(session, row.factory_pk, contact.id, row.id, _to_the_hour(now))
    return Redeemed(await session.get(Factory, row.factory_pk), already=False)


def _to_the_hour(moment: datetime) -> datetime:
    """Binding times are kept to the hour: to the second, they would join a factory's chat to
    the integrity report it sends a moment later (docs/cases.md "No plaintext links")."""
    return moment.replace(minute=0, second=0, microsecond=0)


async def _bind(session: AsyncSession, factory_pk: int, contact_id: int, code_id: int, now: datetime) -> None:
    values = {"factory_pk": factory_pk, "contact_id": contact_id, "code_id": code_id, "bound_at": now,
              "revoked_at": None, "revoked_by": None}
    if not await insert_ignore(session, Binding.__table__, values, ["factory_pk", "contact_id"]):
        # bound before (maybe revoked since): the row becomes active again under the new code
        await session.execute(
            update(Binding).where(Binding.factory_pk == factory_pk, Binding.contact_id == contact_id)
            .values(code_id=code_id, bound_at=now, revoked_at=None, revoked_by=None)
            .execution_options(synchronize_session=False)
        )


async def bound_factories(session: AsyncSession, contact_id: int) -> list[Factory]:
    """The factories this contact is bound to now (revoked bindings excluded), by factory id."""
    result = await session.execute(
        select(Factory).join(Binding, Binding.factory_pk == Factory.id)
        .where(Binding.contact_id == contact_id, Binding.revoked_at.is_(None))
        .order_by(Factory.factory_id)
    )
    return list(result.scalars())


async def unbind(session: AsyncSession, contact_id: int, factory_pk: int | None = None, *,
                 now: datetime | None = None) -> int:
    """The user removes their own binding(s): one factory, or all with `factory_pk=None`."""
    stmt = update(Binding).where(Binding.contact_id == contact_id, Binding.revoked_at.is_(None))
    if factory_pk is not None:
        stmt = stmt.where(Binding.factory_pk == factory_pk)
    result = await session.execute(
        stmt.values(revoked_at=now or utcnow(), revoked_by="user").execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


@dataclass(frozen=True)
class BindingInfo:
    """What staff may see of a binding: never the chat id."""

    id: int
    factory_id: str
    factory_name: str
    channel: str
    bound_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


async def list_bindings(session: AsyncSession, factory_id: str | None = None, *,
                        include_revoked: bool = True) -> list[BindingInfo]:
    stmt = (
        select(Binding, Factory.factory_id, Factory.name, Contact.channel)
        .join(Factory, Binding.factory_pk == Factory.id)
        .join(Contact, Binding.contact_id == Contact.id)
        .order_by(Factory.factory_id, Binding.id)
    )
    if factory_id is not None:
        if await find_factory(session, factory_id) is None:
            raise UnknownFactory(factory_id)
        stmt = stmt.where(Factory.factory_id == factory_id.strip())
    if not include_revoked:
        stmt = stmt.where(Binding.revoked_at.is_(None))
    return [
        BindingInfo(b.id, fid, name, channel, b.bound_at, b.revoked_at, b.revoked_by)
        for b, fid, name, channel in (await session.execute(stmt)).all()
    ]


async def revoke_binding(session: AsyncSession, binding_id: int, *, by: str = "staff",
                         now: datetime | None = None) -> bool:
    """Staff revoke one binding; False when there is no such active binding."""
    result = await session.execute(
        update(Binding).where(Binding.id == binding_id, Binding.revoked_at.is_(None))
        .values(revoked_at=now or utcnow(), revoked_by=by)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)
