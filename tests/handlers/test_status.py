"""A factory's contacts bind their chat with a one-time code and ask for their status; nobody
sees another factory's record. Figures below are computed by hand from today = 2 March 2026."""
import logging
from datetime import date, timedelta

import pytest

from bot.services.bindings import list_bindings, revoke_binding
from handlers.status import commands as status_commands
from tests.conftest import ChatDriver
from tests.factories_support import import_rows, new_code

TODAY = date(2026, 3, 2)
FACTORIES = [
    "C1,Sunny Toys Ltd,certified,2025-06-10,阳光玩具有限公司,,0,0,0",
    "P1,Bright Plastics,progressing,2025-10-20,明亮塑料厂,,3,2,0",
    "A1,Old Mill Crafts,assessed,2025-05-01,,,,,",
    "R1,River Dolls,remediation,2026-01-05,,,,,",
    "R2,Lake Dolls,remediation,2026-01-05,,2026-10-05,,,",
    "PB,Hill Games,probation,2025-03-02,,,,,",
    "T1,Closed Works,terminated,2025-12-01,,,,,",
    "T2,Gone Toys,terminated,2025-08-15,,,,,",
]
NAMES = ["Sunny Toys", "阳光玩具", "Bright Plastics", "明亮塑料", "Old Mill", "River Dolls", "Lake Dolls",
         "Hill Games", "Closed Works", "Gone Toys"]


@pytest.fixture
async def factories(runtime):
    runtime.services.today_override = TODAY
    await import_rows(runtime.db, *FACTORIES)
    return runtime


def person(runtime, name: str, channel: str = "telegram") -> ChatDriver:
    return ChatDriver(runtime, channel=channel, contact=name)


async def bound(runtime, factory_id: str, who: str = "user-1", lang: str = "en") -> ChatDriver:
    chat = person(runtime, who)
    await chat.send(f"/lang {lang}")
    await chat.send(f"/bind {await new_code(runtime, factory_id)}")
    assert "linked to" in chat.text or "已绑定" in chat.text, chat.text
    return chat


# -- status answers ------------------------------------------------------------------------------
async def test_certified_in_english_and_chinese(factories) -> None:
    kb = factories.services.kb
    chat = await bound(factories, "C1")
    await chat.send("/status")
    assert "Sunny Toys Ltd (factory ID C1)" in chat.text
    assert "Status: Certified, since 10 June 2025." in chat.text
    assert "Valid until 10 June 2026: 100 days left." in chat.text
    assert "No open non-compliances." in chat.text
    assert kb.facts.statuses["certified"].next_steps_en in chat.text
    assert chat.choice_ids[0] == "faq:status.certified"  # the program's explanation of the status
    await chat.choose("faq:status.certified")
    assert chat.text.startswith(kb.answer_topic("status.certified", lang="en", today=TODAY).answer)
    await chat.send("/lang zh")
    await chat.send("我的认证状态")
    assert "阳光玩具有限公司（工厂编号 C1）" in chat.text
    assert "状态：已认证（Certified），自 2025年6月10日 起。" in chat.text
    assert "有效期至 2026年6月10日，还剩 100 天。" in chat.text
    assert kb.facts.statuses["certified"].next_steps_zh in chat.text


async def test_progressing_names_the_open_ncs_and_the_deadline(factories) -> None:
    chat = await bound(factories, "P1")
    await chat.send("my status")
    assert "Status: Progressing, since 20 October 2025." in chat.text
    assert "Valid until 20 April 2026: 49 days left." in chat.text
    assert "Open non-compliances: 0 critical, 2 major, 3 minor." in chat.text
    assert "Close the remaining 5 non-compliances before 20 April 2026" in chat.text
    await chat.send("我的状态")  # a Chinese question gets a Chinese answer
    assert "未关闭的不符合项：严重 0 项，主要 2 项，轻微 3 项。" in chat.text
    assert "请在 2026年4月20日（“进展中”状态到期）之前关闭剩余的 5 项不符合项。" in chat.text
    assert "还剩 49 天" in chat.text


async def test_an_expired_validity_is_said_plainly(factories) -> None:
    chat = await bound(factories, "A1")
    await chat.send("/status")
    assert "Your Assessed status expired on 1 March 2026, 1 day ago." in chat.text
    assert "left" not in chat.text
    await chat.send("/lang zh")
    await chat.send("/status")
    assert "已评估（Assessed）状态已于 2026年3月1日 到期（已过 1 天）" in chat.text


async def test_remediation_without_an_end_states_the_period_and_invents_no_date(factories) -> None:
    chat = await bound(factories, "R1")
    await chat.send("/status")
    assert "the Remediation period is 9 or 12 months" in chat.text
    assert "Valid until" not in chat.text and "2026" in chat.text  # only the since date
    await chat.send("我的状态")
    assert "整改（Remediation）期限为 9或12 个月" in chat.text


async def test_remediation_with_an_end_from_the_file(factories) -> None:
    chat = await bound(factories, "R2")
    await chat.send("/status")
    assert "Valid until 5 October 2026: 217 days left." in chat.text


async def test_probation_on_its_last_day(factories) -> None:
    chat = await bound(factories, "PB")
    await chat.send("/status")
    assert "Valid until 2 March 2026: today is the last day." in chat.text
    await chat.send("我的状态")
    assert "有效期至 2026年3月2日，今天是最后一天。" in chat.text


async def test_terminated_gives_the_earliest_reapplication_date(factories) -> None:
    chat = await bound(factories, "T1")
    await chat.send("/status")
    assert "Status: Terminated, since 1 December 2025." in chat.text
    assert "You may reapply from 1 June 2026 (at least 6 months after termination), in 91 days." in chat.text
    await chat.send("我的状态")
    assert "贵厂最早可于 2026年6月1日 重新申请（终止后至少 6 个月），还有 91 天。" in chat.text
    other = await bound(factories, "T2", who="user-2")
    await other.send("/status")
    assert "You may reapply now: the 6-month wait after termination ended on 15 February 2026." in other.text


async def test_days_left_follow_the_date(factories) -> None:
    chat = await bound(factories, "C1")
    factories.services.today_override = date(2026, 6, 9)
    await chat.send("/status")
    assert "Valid until 10 June 2026: 1 day left." in chat.text


async def test_a_contact_bound_to_several_factories_gets_each(factories) -> None:
    chat = await bound(factories, "C1")
    await chat.send(f"/bind {await new_code(factories, 'T1')}")
    await chat.send("/status")
    assert len(chat.replies) == 2
    assert "Sunny Toys Ltd" in chat.replies[0].text and "Closed Works" in chat.replies[1].text


# -- isolation ----------------------------------------------------------------------------------
async def test_each_contact_sees_only_its_own_factory(factories) -> None:
    sunny = await bound(factories, "C1", who="sunny")
    bright = await bound(factories, "P1", who="bright")
    await sunny.send("/status")
    assert "Sunny Toys" in sunny.text and "Bright" not in sunny.text and "P1" not in sunny.text
    await bright.send("/status")
    assert "Bright Plastics" in bright.text and "Sunny" not in bright.text and "C1" not in bright.text


async def test_an_unbound_contact_is_told_how_to_get_a_code_and_sees_no_factory(factories) -> None:
    await bound(factories, "C1", who="sunny")
    helpdesk = factories.services.kb.facts.contacts.helpdesk
    stranger = person(factories, "stranger")
    for text in ("/status", "my status", "What's my certification status?", "我的认证状态", "我厂的认证状态？"):
        await stranger.send(text)
        assert helpdesk.phone in stranger.text and helpdesk.email in stranger.text
        assert not any(name in stranger.text for name in NAMES)
    assert "绑定码" in stranger.text
    assert stranger.choice_ids[0] == "faq:status.overview"  # what the statuses mean, for anyone


async def test_the_menu_choice_and_the_wechat_menu_key_show_the_status(factories) -> None:
    chat = await bound(factories, "C1")
    await chat.send("/menu")
    await chat.choose("status")
    assert "100 days left" in chat.text
    await chat.send("", kind="event", event="click", extra={"event_key": "STATUS"})
    assert "100 days left" in chat.text


# -- binding ------------------------------------------------------------------------------------
INVALID = "This code is not valid"


async def test_binding_accepts_any_case_with_or_without_the_dash_and_the_chinese_form(factories) -> None:
    code = await new_code(factories, "C1")
    chat = person(factories, "a")
    await chat.send("/bind " + code.replace("-", "").lower())
    assert "linked to Sunny Toys Ltd (factory ID C1)" in chat.text
    zh = person(factories, "b")
    await zh.send("绑定 " + (await new_code(factories, "C1")).lower())
    assert "绑定成功：此聊天已绑定 阳光玩具有限公司（工厂编号 C1）" in zh.text


async def test_telegram_deep_link_start_code_binds(factories) -> None:
    chat = person(factories, "deep")
    await chat.send(f"/start {await new_code(factories, 'P1')}")
    assert "linked to Bright Plastics" in chat.text
    await chat.send("/start something-else")  # a deep link that is not a code: the usual welcome
    assert "Welcome" in chat.text


async def test_an_expired_code_is_refused(factories) -> None:
    code = await new_code(factories, "C1", days=7)
    factories.services.clock.advance(timedelta(days=7, minutes=1))
    chat = person(factories, "late")
    await chat.send(f"/bind {code}")
    assert INVALID in chat.text and "Sunny" not in chat.text
    await chat.send("/status")
    assert "No factory is linked" in chat.text


async def test_a_code_is_consumed_once(factories) -> None:
    code = await new_code(factories, "C1")
    first = person(factories, "first")
    await first.send(f"/bind {code}")
    second = person(factories, "second")
    await second.send(f"/bind {code}")
    assert INVALID in second.text and "Sunny" not in second.text
    await first.send(f"/bind {code}")  # the same person sending it again is simply told
    assert "already linked to Sunny Toys Ltd" in first.text


async def test_wrong_expired_and_used_codes_get_the_same_answer(factories) -> None:
    used = await new_code(factories, "C1")
    await person(factories, "owner").send(f"/bind {used}")
    expired = await new_code(factories, "P1", days=1)
    factories.services.clock.advance(timedelta(days=2))
    answers = []
    for i, code in enumerate([used, expired, "ZZZZ-ZZZZ"]):
        guesser = person(factories, f"guesser-{i}")
        await guesser.send(f"/bind {code}")
        answers.append(guesser.text)
    assert answers[0] == answers[1] == answers[2] and INVALID in answers[0]


async def test_guessing_is_throttled_per_account(factories) -> None:
    good = await new_code(factories, "C1", days=30)
    chat = person(factories, "guesser")
    for guess in ["AAAA-AAAA", "BBBB-BBBB", "CCCC-CCCC", "DDDD-DDDD", "EEEE-EEEE"]:
        await chat.send(f"/bind {guess}")
        assert INVALID in chat.text
    await chat.send(f"/bind {good}")  # even the right code waits once the limit is reached
    assert "Too many binding attempts" in chat.text and "Sunny" not in chat.text
    other = person(factories, "colleague")  # another account is not affected
    await other.send("/bind FFFF-FFFF")
    assert INVALID in other.text
    factories.services.clock.advance(timedelta(hours=1, minutes=1))
    await chat.send(f"/bind {good}")
    assert "linked to Sunny Toys Ltd" in chat.text


async def test_a_flood_of_wrong_codes_from_fifty_accounts_leaves_a_fresh_accounts_right_code_working(factories) -> None:
    for i in range(50):
        chat = person(factories, f"flooder-{i}")
        for j in range(5):
            await chat.send(f"/bind {'ABCDEFGHJKMNPQRSTVWXYZ'[j]}{i:03d}-ZZZZ")
            assert INVALID in chat.text
    fresh = person(factories, "fresh-account")
    await fresh.send(f"/bind {await new_code(factories, 'C1')}")
    assert "linked to Sunny Toys Ltd" in fresh.text


async def test_past_the_global_ceiling_only_an_accounts_first_try_of_the_hour_is_heard(factories, monkeypatch) -> None:
    monkeypatch.setattr(status_commands, "GLOBAL_LIMIT", 3)
    for i in range(3):
        chat = person(factories, f"bot-{i}")
        await chat.send("/bind AAAA-AAAA")
        assert INVALID in chat.text
    await chat.send(f"/bind {await new_code(factories, 'P1')}")  # a second try, past the ceiling
    assert "Too many binding attempts" in chat.text and "Bright" not in chat.text
    fresh = person(factories, "bot-new")  # a first try is still heard
    await fresh.send(f"/bind {await new_code(factories, 'C1')}")
    assert "linked to Sunny Toys Ltd" in fresh.text
    await fresh.send("/bind BBBB-BBBB")
    assert "Too many binding attempts" in fresh.text


async def test_text_that_is_not_a_code_is_not_counted_as_a_guess(factories) -> None:
    chat = person(factories, "asker")
    for _ in range(6):
        await chat.send("绑定码怎么获取？")  # a question about codes, for the FAQ
        assert "绑定码无效" not in chat.text and "绑定尝试次数过多" not in chat.text
    await chat.send("/bind hello")
    assert "8 letters and digits" in chat.text
    await chat.send("/bind")
    assert "/bind ABCD-EFGH" in chat.text
    await chat.send(f"/bind {await new_code(factories, 'C1')}")
    assert "linked to Sunny Toys Ltd" in chat.text


async def test_a_revoked_binding_shows_nothing(factories) -> None:
    chat = await bound(factories, "C1")
    async with factories.db.session() as s:
        (info,) = await list_bindings(s, "C1")
        assert await revoke_binding(s, info.id)
    await chat.send("/status")
    assert "No factory is linked" in chat.text and "Sunny" not in chat.text
    await chat.send(f"/bind {await new_code(factories, 'C1')}")  # a new code binds again
    await chat.send("/status")
    assert "Sunny Toys Ltd" in chat.text


async def test_several_people_of_one_factory_bind_and_are_listed(factories) -> None:
    people = [await bound(factories, "C1", who=f"staff-{i}") for i in range(3)]
    people.append(person(factories, "wechat-person", channel="wechat"))
    await people[-1].send(f"/bind {await new_code(factories, 'C1')}")
    for chat in people:
        await chat.send("/status")
        assert "Sunny Toys Ltd" in chat.text
    async with factories.db.session() as s:
        listed = await list_bindings(s, "C1")
    assert [b.channel for b in listed] == ["telegram", "telegram", "telegram", "wechat"]
    assert all(b.active for b in listed)


async def test_unbind_one_or_choose_among_several(factories) -> None:
    chat = await bound(factories, "C1")
    await chat.send(f"/bind {await new_code(factories, 'P1')}")
    await chat.send("/unbind")
    assert chat.choice_ids == ["unbind:C1", "unbind:P1", "unbind:all"]
    await chat.send("2")  # typed number of the offered choice
    assert "no longer linked to Bright Plastics" in chat.text
    await chat.send("/status")
    assert "Sunny Toys" in chat.text and "Bright" not in chat.text
    await chat.send("解除绑定")
    assert "已解除与 阳光玩具有限公司（工厂编号 C1）的绑定" in chat.text
    await chat.send("/unbind")
    assert "not linked to any factory" in chat.text


async def test_a_forged_unbind_choice_cannot_touch_someone_elses_binding(factories) -> None:
    owner = await bound(factories, "C1", who="owner")
    mine = await bound(factories, "P1", who="intruder")
    await mine.choose("unbind:C1")  # names a factory the intruder is not bound to
    assert "Sunny" not in mine.text
    await owner.send("/status")
    assert "Sunny Toys Ltd" in owner.text
    await mine.send("/status")
    assert "Bright Plastics" in mine.text


async def test_codes_and_chat_ids_never_reach_the_logs(factories, caplog) -> None:
    code = await new_code(factories, "C1")
    chat = person(factories, "chat-id-zq8w5x")
    with caplog.at_level(logging.INFO):  # the production level; DEBUG of drivers prints SQL
        await chat.send("/bind AAAA-AAAA")
        await chat.send(f"/bind {code}")
        await chat.send("/status")
    assert caplog.records, "binding events are logged"
    for record in caplog.records:
        dump = record.getMessage() + repr(record.__dict__)
        assert "zq8w5x" not in dump and code not in dump and code.replace("-", "") not in dump
        assert "AAAA" not in dump
