"""Find or create the contact of a platform id without ever storing the id in clear."""
from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.core.crypto import Secrets
from bot.core.dialect import any_of, insert_ignore, insert_ignore_many, update_many
from bot.core.models import Contact, Conversation
from bot.core.models.base import utcnow_hour

# built once: every inbound message looks its contact up
_BY_HASH = select(Contact).where(Contact.key_hash.in_(bindparam("hashes", expanding=True)))
_CONTACTS, _CONV = Contact.__table__, Conversation.__table__


def contact_key(channel: str, platform_id: str) -> str:
    return f"{channel}:{platform_id}"


def _identity(secrets: Secrets, channel: str, platform_id: str) -> dict[str, str]:
    """How a contact's platform id is stored: a keyed hash to find it, an encrypted copy to reply."""
    return {"key_hash": secrets.lookup_hash(contact_key(channel, platform_id)),
            "platform_id_enc": secrets.encrypt(platform_id)}


def inbound_hour(received_at: datetime) -> datetime:
    """What `contacts.last_inbound_at` keeps of a message's arrival: its hour. Exact times would
    join the contact to the case it opens; WeChat's 48-hour window is then counted from the start
    of the hour, a little short, never too long."""
    return received_at.replace(minute=0, second=0, microsecond=0)


def _new_contact(secrets: Secrets, channel: str, platform_id: str,
                 inbound: datetime | None = None) -> dict[str, object]:
    """The row of a contact seen for the first time (`inbound`: the hour its message came)."""
    return {"channel": channel, **_identity(secrets, channel, platform_id),
            "created_at": utcnow_hour(),  # to the hour: exact times would join it to its case
            "subscribed": True, "blocked": False, "last_inbound_at": inbound}


async def find_contact(session: AsyncSession, secrets: Secrets, channel: str, platform_id: str) -> Contact | None:
    # A contact found once is kept for the session (the identity map holds objects weakly, so a
    # second look-up in the same transaction, e.g. by the channel after the dialogue, re-read it).
    found: dict[str, Contact] = session.info.setdefault("contacts", {})
    key = contact_key(channel, platform_id)
    contact = found.get(key)
    if contact is not None and contact in session:
        return contact
    hashes = secrets.lookup_hashes(key)
    contact = (await session.execute(_BY_HASH, {"hashes": hashes})).scalars().first()
    if contact is not None:
        found[key] = contact
    return contact


async def prefetch_contacts(session: AsyncSession, secrets: Secrets, channel: str, platform_ids: list[str],
                            create: dict[str, datetime] | None = None) -> list[object]:
    """Load the contacts of many platform ids, and their conversations, in one statement, for
    the look-ups of the session that follow (`find_contact`, `conversation_of`) to find without
    a statement each. The contacts of `create` (platform id → the hour its message came) not
    found are made, with their empty conversations, in two statements more (a batch's first
    messages from new senders), as the dialogue would make them one by one. Returns what was
    loaded: hold it while the session works (the identity map holds objects weakly)."""
    keys = {contact_key(channel, p): p for p in platform_ids}
    by_hash = {h: key for key in keys for h in secrets.lookup_hashes(key)}
    if not by_hash:
        return []
    found: dict[str, Contact] = session.info.setdefault("contacts", {})
    loaded = await _load(session, by_hash, found)
    create = create or {}
    missing = sorted({contact_key(channel, p) for p in create} - found.keys())
    if missing:
        rows = sorted((_new_contact(secrets, channel, keys[key], create[keys[key]]) for key in missing),
                      key=lambda row: row["key_hash"])
        made = await insert_ignore_many(session, _CONTACTS, rows, ["key_hash"], ["id"])
        # (a contact another process made meanwhile is left out: `conversation_of` finds or makes its row)
        await insert_ignore_many(session, _CONV, [{"contact_id": cid, "updated_at": utcnow_hour()}
                                                  for cid in sorted(cid for (cid,) in made)],
                                 ["contact_id"], ["contact_id"])
        loaded += await _load(session, {h: key for key in missing for h in secrets.lookup_hashes(key)}, found)
    return loaded


async def _load(session: AsyncSession, by_hash: dict[str, str], found: dict[str, Contact]) -> list[object]:
    conversations: dict[int, Conversation | None] = session.info.setdefault("conversations", {})
    loaded: list[object] = []
    for contact, conversation in await session.execute(
            _with_conversations(session.bind.dialect.name if session.bind else "sqlite"), {"hashes": list(by_hash)}):
        found.setdefault(by_hash[contact.key_hash], contact)
        conversations[contact.id] = conversation  # None: it has none (yet)
        loaded.append(contact)
        if conversation is not None:
            loaded.append(conversation)
    return loaded


async def conversation_of(session: AsyncSession, contact: Contact) -> Conversation:
    """The contact's conversation row, made (pending) when it has none. A prefetched contact's
    is found without a statement, and so is the absence of one."""
    known: dict[int, Conversation | None] = session.info.setdefault("conversations", {})
    conv = known.get(contact.id)
    # not prefetched, or rolled back with a savepoint: read it
    if contact.id not in known or (conv is not None and conv not in session):
        conv = await session.get(Conversation, contact.id)
    if conv is None:
        conv = Conversation(contact_id=contact.id)
        session.add(conv)
    known[contact.id] = conv
    return conv


def defer_contact_writes(session: AsyncSession) -> None:
    """Until `write_contact_writes`, the conversation rows the session changes
    (`set_conversation`) and the contacts' hours of their last message (`set_last_inbound`) are
    written together, one statement each, instead of by the ORM's flush at each look-up that
    follows (the inbox's batch, whose messages each change their conversation). Only for a
    transaction that stands or falls as one: a savepoint rolled back would not undo them."""
    session.info["conversation_writes"] = {}
    session.info["inbound_writes"] = {}


def _change(session: AsyncSession, deferred: str, row: Contact | Conversation, key: int,
            values: dict[str, object]) -> None:
    """Change a row's columns: at once through the ORM, or, while the session defers its writes
    (`deferred`: which of them), on the object (as the row will be) and in the batch's statement."""
    writes: dict[int, object] | None = session.info.get(deferred)
    if writes is None or not inspect(row).persistent:  # a new row is the ORM's INSERT
        for column, value in values.items():
            setattr(row, column, value)
        return
    for column, value in values.items():
        set_committed_value(row, column, value)
    writes[key] = row


def set_conversation(session: AsyncSession, conv: Conversation, **values: str | None) -> None:
    """Change a conversation's columns (`_change`)."""
    _change(session, "conversation_writes", conv, conv.contact_id, values)


def set_last_inbound(session: AsyncSession, contact: Contact, received_at: datetime) -> None:
    """Keep the hour of the contact's latest message (`inbound_hour`): written only when the hour
    changes, at once through the ORM or, while the session defers its writes, in the batch's
    statement."""
    hour = inbound_hour(received_at)
    if contact.last_inbound_at != hour:
        _change(session, "inbound_writes", contact, contact.id, {"last_inbound_at": hour})


async def write_contact_writes(session: AsyncSession) -> None:
    """The deferred writes (`defer_contact_writes`), one statement a table; writes are no longer
    deferred after it."""
    conversations: dict[int, Conversation] = session.info.pop("conversation_writes", None) or {}
    await update_many(session, _CONV, "contact_id", [
        {"contact_id": cid, "data_enc": conv.data_enc, "choices_json": conv.choices_json, "updated_at": utcnow_hour()}
        for cid, conv in sorted(conversations.items()) if inspect(conv).persistent])
    contacts: dict[int, Contact] = session.info.pop("inbound_writes", None) or {}
    await update_many(session, _CONTACTS, "id", [
        {"id": cid, "last_inbound_at": contact.last_inbound_at} for cid, contact in sorted(contacts.items())
        if inspect(contact).persistent])


@functools.cache
def _with_conversations(dialect: str):
    """Built once per dialect: on PostgreSQL one prepared statement whatever the batch's size."""
    return (select(Contact, Conversation).outerjoin(Conversation, Conversation.contact_id == Contact.id)
            .where(any_of(Contact.key_hash, "hashes", dialect)))


async def get_or_create_contact(session: AsyncSession, secrets: Secrets, channel: str, platform_id: str) -> Contact:
    contact = await find_contact(session, secrets, channel, platform_id)
    if contact is not None:
        return contact
    await insert_ignore(session, _CONTACTS, _new_contact(secrets, channel, platform_id), ["key_hash"])
    contact = await find_contact(session, secrets, channel, platform_id)
    assert contact is not None
    return contact


async def move_contact(session: AsyncSession, secrets: Secrets, channel: str, old: str, new: str) -> bool:
    """The platform gave the chat a new id (a Telegram group became a supergroup): its contact
    (binding, language, conversation) moves to it. False when there is nothing to move or the
    new id has a contact already."""
    contact = await find_contact(session, secrets, channel, old)
    if contact is None or await find_contact(session, secrets, channel, new) is not None:
        return False
    for column, value in _identity(secrets, channel, new).items():
        setattr(contact, column, value)
    session.info.get("contacts", {}).pop(contact_key(channel, old), None)
    return True


# A contact is one chat; replies to it go to its address: the platform id, or the platform id and
# the place inside the chat it last wrote from (a Telegram forum topic), stored as `ID#PLACE`
# (no platform id has a "#"). Senders take a destination `ID` or `ID:PLACE`.
PLACE_MARK = "#"


def split_address(address: str) -> tuple[str, str | None]:
    """(platform id, place or None) of a stored address."""
    platform, mark, place = address.partition(PLACE_MARK)
    return platform, (place if mark else None)


def platform_id(secrets: Secrets, contact: Contact) -> str:
    return split_address(secrets.decrypt(contact.platform_id_enc))[0]


def destination(secrets: Secrets, contact: Contact) -> str:
    """Where the outbox sends what it has for this contact: `ID`, or `ID:PLACE`."""
    platform, place = split_address(secrets.decrypt(contact.platform_id_enc))
    return platform if place is None else f"{platform}:{place}"


def set_place(secrets: Secrets, contact: Contact, place: str | None) -> None:
    """Later messages to this contact (staff replies, reminders) go to `place` in its chat (None:
    the chat itself). Written only when it changes."""
    platform, current = split_address(secrets.decrypt(contact.platform_id_enc))
    if place != current:
        contact.platform_id_enc = secrets.encrypt(platform if place is None else f"{platform}{PLACE_MARK}{place}")
