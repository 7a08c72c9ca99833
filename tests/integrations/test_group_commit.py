"""The inbox's group commits seen from outside: concurrent messages share transactions and each
gets its own answer; a dialogue failing in a batch fails only its own message; a batch the
database refuses gives no 200 (WeChat retries, and then it is answered); a stored message that
cannot be read fails alone. (A broken connection: `test_broken_connection.py`.)"""
from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from sqlalchemy import event, select, text

from bot.core.messages import Incoming
from bot.core.models import Contact, utcnow
from bot.core.models import messaging as st
from bot.core.models.messaging import InboxMessage, RateBucket
from integrations.inbox import Inbox
from integrations.telegram.receive import make_respond

from .conftest import count, outbox_rows, runtime_of


def _metric(metrics: str, name: str, batch: str) -> float:
    found = re.search(rf'^{name}{{batch="{batch}"}} (\S+)$', metrics, re.M)
    return float(found.group(1)) if found else 0.0


def _break_on_boom(runtime) -> None:
    """The dialogue raises on the message "boom" (a bug), and runs as usual on every other."""
    handle = runtime.dialogue.handle

    async def sometimes_broken(session, incoming):
        if incoming.text == "boom":
            raise RuntimeError("bug")
        return await handle(session, incoming)

    runtime.dialogue.handle = sometimes_broken


async def test_concurrent_messages_share_transactions_and_each_gets_its_own_answer(
        wechat_config, serve, wechat_user) -> None:
    async def store_commits(client) -> tuple[float, float]:  # the registry is the process's: differences
        metrics = await (await client.get("/metrics")).text()
        return (_metric(metrics, "etp_group_commit_items_sum", "wechat-store"),
                _metric(metrics, "etp_group_commit_items_count", "wechat-store"))

    async with serve(wechat_config) as client:
        users = [wechat_user(client, f"oGroupCommit{n:013d}") for n in range(24)]
        stored_before, transactions_before = await store_commits(client)
        answers = await asyncio.gather(*[u.say("How much is the registration fee?") for u in users])
        assert all(a and "fee" in a.lower() for a in answers)  # each addressed to its sender (checked by say)
        stored, transactions = await store_commits(client)
        assert stored - stored_before == 24
        assert transactions - transactions_before < 24  # some of them committed together
        assert await count(runtime_of(client), InboxMessage, InboxMessage.status == st.DONE) == 24


async def test_a_dialogue_failing_in_a_batch_fails_only_its_own_message(runtime) -> None:
    _break_on_boom(runtime)
    inbox = Inbox(runtime, "telegram", make_respond(runtime.services.secrets))
    texts = ["/help", "/help", "boom", "/help", "/help"]
    ids = [(await inbox.store(str(n), Incoming("telegram", f"chat-{n}", str(n), text=t)))[0]
           for n, t in enumerate(texts)]
    results = await asyncio.gather(*[inbox.process(i) for i in ids])
    assert [r.ran for r in results] == [True, True, False, True, True] and results[2].failed
    async with runtime.db.session() as s:
        rows = {r.id: r for r in (await s.execute(select(InboxMessage))).scalars()}
    assert (rows[ids[2]].status, rows[ids[2]].attempts) == (st.RECEIVED, 1)  # tried again later
    assert all(rows[i].status == st.DONE for n, i in enumerate(ids) if n != 2)
    assert len(await outbox_rows(runtime)) == 4 and await count(runtime, Contact) == 4
    # the failed message did not use up its sender's rate limit (it is tried again, and counted then)
    secrets = runtime.services.secrets
    async with runtime.db.session() as s:
        counts = dict((await s.execute(select(RateBucket.key_hash, RateBucket.count))).all())
    assert [counts.get(secrets.lookup_hash(f"rate:telegram:chat-{n}"), 0) for n in range(5)] == [1, 1, 0, 1, 1]



async def test_a_batch_takes_the_same_few_statements_whatever_its_size_new_senders_or_known(runtime) -> None:
    """20 questions in one batch are a handful of statements, from new senders (their contacts
    and conversations made together, each contact with the hour of its message) as from known
    ones (in a new hour, its contacts' hours one statement); every sender is answered and has
    one contact and one conversation."""
    from bot.core.models import Conversation
    from bot.services.contacts import inbound_hour
    from integrations.wechat.receive import make_respond as wechat_respond

    statements: list[str] = []
    event.listen(runtime.db.writer.engine.sync_engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: statements.append(statement))
    inbox = Inbox(runtime, "wechat", wechat_respond(runtime.services.secrets))
    # the known senders ask another question: their conversations change (the choices offered)
    questions = ["How much is the registration fee?", "what is a progress visit", "审核费用是多少", "/help"]
    hour = timedelta(hours=1)
    rounds = {"new": utcnow(), "known": utcnow(), "known, an hour later": utcnow() + hour}
    for r, (round_, at) in enumerate(rounds.items()):
        ids = [(await inbox.store(f"{r}-{n}", Incoming("wechat", f"oSender{n:04d}", f"{r}-{n}",
                                                       text=questions[(n + r) % 4], received_at=at)))[0]
               for n in range(20)]
        statements.clear()
        until = asyncio.get_running_loop().time() + 60
        results = await asyncio.gather(*[inbox.process(i, passive_until=until) for i in ids])
        assert all(r.ran and r.via == st.PASSIVE and r.cached["text"] for r in results)
        # BEGIN, the claim, the rate limit, contacts (+ making the new and reading them), their
        # updates and conversations, the held outbox rows, the replies
        assert len(statements) <= 10, (round_, statements)
        # the conversations the batch changed: one statement, whichever columns each changed
        assert sum(s_.startswith("UPDATE conversations") for s_ in statements) <= 1, statements
        # the new senders' conversations: one statement; the contacts' hours: one statement when
        # the hour is new to them (made with it, they are not written again)
        assert sum(s_.startswith("INSERT INTO conversations") for s_ in statements) == (round_ == "new"), statements
        new_hour = r > 0 and inbound_hour(at) != inbound_hour(list(rounds.values())[r - 1])
        assert sum(s_.startswith("UPDATE contacts") for s_ in statements) == new_hour, (round_, statements)
        async with runtime.db.session() as s:
            assert set((await s.execute(select(Contact.last_inbound_at))).scalars()) == {inbound_hour(at)}
    assert await count(runtime, Contact) == 20 and await count(runtime, Conversation) == 20


async def test_a_contacts_messages_in_one_batch_are_answered_as_one_at_a_time(runtime) -> None:
    """A sender's messages processed in one batch see each other's conversation state (a flow
    one starts, the choices one offers) as when each has a batch of its own, and the state is
    there for the next batch: the batch's conversation writes, made together, change nothing
    a sender sees."""
    from integrations.wechat.receive import make_respond as wechat_respond

    inbox = Inbox(runtime, "wechat", wechat_respond(runtime.services.secrets))
    until = asyncio.get_running_loop().time() + 60
    stored = 0

    async def batch(*messages: tuple[str, str]):
        """One batch of (sender, text) messages (with one message alone, a batch runs it in a
        savepoint: another sender's question joins it)."""
        nonlocal stored
        ids = []
        for sender, text_ in [*messages, ("oSomeoneElse0001", "what is a progress visit")]:
            stored += 1
            ids.append((await inbox.store(f"m{stored}", Incoming("wechat", sender, f"m{stored}", text=text_)))[0])
        results = await asyncio.gather(*[inbox.process(i, passive_until=until) for i in ids])
        assert all(r.ran and r.via == st.PASSIVE for r in results)
        return results[:-1]

    # one a batch: a question, its "did it help" choice typed, the auditor check's two steps
    question = await batch(("oOneAtATime00001", "How much is the audit fee?"))
    helped = next(c for r in question[0].replies for c in r.choices)
    steps = [helped.label, "/auditor", "Zhang San"]
    alone = [r.cached["text"] for r in question + [(await batch(("oOneAtATime00001", t)))[0] for t in steps]]
    assert len(set(alone)) == 4  # the choice and the name were taken as such, not as questions
    # all four in one batch; the first three in one, the name in the next
    together = await batch(*[("oAllAtOnce000001", t) for t in ["How much is the audit fee?", *steps]])
    assert [r.cached["text"] for r in together] == alone
    three = await batch(*[("oThreeThenOne001", t) for t in ["How much is the audit fee?", *steps[:2]]])
    then = await batch(("oThreeThenOne001", steps[2]))
    assert [r.cached["text"] for r in three + then] == alone


async def test_a_batchs_unanswered_questions_are_kept_once_each_in_one_statement(runtime) -> None:
    """The questions a batch could not answer are kept for the helpdesk together (one INSERT),
    each once, also when a dialogue failing in the batch has the others run again one by one."""
    from bot.core.models.insights import UnansweredQuestion

    statements: list[str] = []
    event.listen(runtime.db.writer.engine.sync_engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: statements.append(statement))
    _break_on_boom(runtime)
    inbox = Inbox(runtime, "telegram", make_respond(runtime.services.secrets))
    secrets = runtime.services.secrets

    async def batch(name: str, texts: list[str]) -> list[str]:
        ids = [(await inbox.store(f"{name}{n}", Incoming("telegram", f"{name}-chat-{n}", f"{name}{n}", text=t)))[0]
               for n, t in enumerate(texts)]
        statements.clear()
        await asyncio.gather(*[inbox.process(i) for i in ids])
        async with runtime.db.session() as s:
            return sorted(secrets.decrypt(q.text_enc) for q in (await s.execute(select(UnansweredQuestion))).scalars())

    odd = [f"How do I bake bread with a {animal}?" for animal in ("dragon", "unicorn", "griffin", "kraken")]
    assert await batch("a", [*odd, "How much is the registration fee?"]) == sorted(odd)
    assert sum(s_.startswith("INSERT INTO unanswered_questions") for s_ in statements) == 1, statements
    more = [f"Can a {animal} sing in the choir?" for animal in ("dragon", "unicorn", "griffin")]
    kept = await batch("b", [more[0], "boom", more[1], more[2]])  # the batch runs again, message by message
    assert kept == sorted(odd + more)


_REFUSE = {
    "sqlite": ["CREATE TRIGGER inbox_full BEFORE INSERT ON inbox BEGIN SELECT RAISE(ABORT, 'disk full'); END"],
    "postgresql": ["CREATE FUNCTION inbox_full() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ "
                   "LANGUAGE plpgsql",
                   "CREATE TRIGGER inbox_full BEFORE INSERT ON inbox FOR EACH ROW EXECUTE FUNCTION inbox_full()"],
}
_ALLOW = {"sqlite": ["DROP TRIGGER inbox_full"],
          "postgresql": ["DROP TRIGGER inbox_full ON inbox", "DROP FUNCTION inbox_full()"]}


async def test_a_batch_the_database_refuses_gets_no_200_and_its_retry_is_answered(
        wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        runtime = runtime_of(client)
        user = wechat_user(client, "oRefusedBatch000000000001")
        query, body = user.platform.request(user.platform.text(user.openid, "/help"))
        async with runtime.db.session() as s:
            for sql in _REFUSE[runtime.db.dialect]:
                await s.execute(text(sql))
        resp = await client.post("/wechat", params=query, data=body)
        assert resp.status == 500 and "Factory Helpdesk" not in await resp.text()
        assert await count(runtime) == 0
        async with runtime.db.session() as s:
            for sql in _ALLOW[runtime.db.dialect]:
                await s.execute(text(sql))
        retry = await client.post("/wechat", params=query, data=body)  # WeChat retries the same request
        assert retry.status == 200
        assert "Factory Helpdesk" in user.platform.read_reply(await retry.text())["Content"]
        assert await count(runtime, InboxMessage, InboxMessage.status == st.DONE) == 1


async def test_an_unreadable_stored_message_fails_alone(runtime) -> None:
    """A row stored under a key no longer configured (a botched key change) is set aside after
    its tries; the messages processed in the same batch are answered."""
    from bot.core.crypto import Secrets
    from bot.core.models import utcnow
    from integrations.inbox import MAX_ATTEMPTS, encode_incoming

    inbox = Inbox(runtime, "telegram", make_respond(runtime.services.secrets))
    ids = [(await inbox.store(str(n), Incoming("telegram", f"chat-{n}", str(n), text="/help")))[0] for n in range(2)]
    lost_key = Secrets("a-key-nobody-configured-any-more-0123456789")
    async with runtime.db.session() as s:
        row = InboxMessage(channel="telegram", key_hash="unreadable", kind="text", status=st.RECEIVED, attempts=0,
                           received_at=utcnow(), payload_enc=lost_key.encrypt_json(encode_incoming(
                               Incoming("telegram", "chat-9", "9", text="/help"))))
        s.add(row)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        results = await asyncio.gather(*[inbox.process(i) for i in (*ids, row.id)])
        assert results[2].failed and not results[2].ran
        if attempt == 1:
            assert [r.ran for r in results[:2]] == [True, True]
    async with runtime.db.session() as s:
        assert (await s.get(InboxMessage, row.id)).status == st.FAILED
    assert len(await outbox_rows(runtime)) == 2
