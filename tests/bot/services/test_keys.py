"""Key rotation keeps every stored secret readable under the new key alone."""
from sqlalchemy import select

from bot.core.crypto import DecryptError, Secrets
from bot.core.db import Database
from bot.core.messages import Reply
from bot.core.migrate import upgrade
from bot.core.models import Conversation, OutboxMessage
from bot.services.contacts import find_contact, get_or_create_contact
from bot.services.keys import rotate_keys
from bot.services.outbox import enqueue

OLD = "old-key-" + "o" * 40
NEW = "new-key-" + "n" * 40


async def test_rotation_reencrypts_and_rehashes(config) -> None:
    db = Database(config.database_url)
    await upgrade(db)
    old = Secrets(OLD)
    try:
        async with db.session() as s:
            c = await get_or_create_contact(s, old, "telegram", "123456789")
            s.add(Conversation(contact_id=c.id, data_enc=old.encrypt_json({"draft": "my wages are late"})))
            await enqueue(s, old, channel="telegram", contact_id=c.id, kind="staff_reply", replies=[Reply("hi")])

        both = Secrets(NEW, (OLD,))
        async with db.session() as s:  # before rotation: found through the old key's hash
            assert await find_contact(s, both, "telegram", "123456789") is not None
        report = await rotate_keys(db, both)
        assert report.rows["contacts"] == 1 and report.rows["outbox"] == 1 and report.rows["conversations"] == 1

        new_only = Secrets(NEW)
        async with db.session() as s:
            contact = await find_contact(s, new_only, "telegram", "123456789")
            assert contact is not None and new_only.decrypt(contact.platform_id_enc) == "123456789"
            conv = await s.get(Conversation, contact.id)
            assert new_only.decrypt_json(conv.data_enc) == {"draft": "my wages are late"}
            row = (await s.execute(select(OutboxMessage))).scalar_one()
            assert new_only.decrypt_json(row.body_enc)[0]["text"] == "hi"
            try:
                old.decrypt(row.body_enc)
                raise AssertionError("old key still reads rotated data")
            except DecryptError:
                pass
    finally:
        await db.close()


def test_cli_refuses_without_old_keys(tmp_path, monkeypatch, capsys) -> None:
    from bot.cli import main

    monkeypatch.setenv("ETP_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/k.db")
    monkeypatch.setenv("ETP_SECRET_KEY", NEW)
    monkeypatch.delenv("ETP_OLD_SECRET_KEYS", raising=False)
    assert main(["keys", "rotate"]) == 2
    assert "ETP_OLD_SECRET_KEYS" in capsys.readouterr().err
