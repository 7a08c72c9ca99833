"""The channel-neutral dialogue: menus, choices, language, events, state kept in the database."""

from sqlalchemy import select

from bot.core.models import Contact
from bot.runtime import build_runtime
from tests.conftest import ChatDriver


async def test_first_contact_offers_language_then_menu(chat: ChatDriver) -> None:
    await chat.send("/start")
    assert chat.choice_ids == ["lang:en", "lang:zh"]
    await chat.send("2")  # a digit answers the numbered choice
    assert "已切换为中文" in chat.text
    assert chat.choice_ids == ["faq", "status", "helpline", "report", "human", "lang"]
    assert "我的认证状态" in chat.text


async def test_a_choice_can_be_typed_as_its_label(chat: ChatDriver) -> None:
    await chat.send("/lang")
    await chat.send("English")
    assert "Language set to English" in chat.text


async def test_language_is_remembered_by_another_process(chat: ChatDriver, config, clock) -> None:
    await chat.send("/lang zh")
    other = await build_runtime(config)  # a second server process over the same database
    other.services.clock = clock
    try:
        again = ChatDriver(other, contact=chat.contact)
        await again.send("/help")
        assert "工厂服务台" in again.text and other.services.kb.facts.contacts.helpdesk.phone in again.text
    finally:
        await other.close()


async def test_faq_answers_with_the_programs_figures_in_both_languages(chat: ChatDriver) -> None:
    await chat.send("how much is the registration fee")
    assert "1,500" in chat.text
    await chat.send("认证费是多少？")
    assert "800" in chat.text and "美元" in chat.text


async def test_off_topic_question_is_declined_with_a_person_offered(chat: ChatDriver) -> None:
    await chat.send("/lang en")
    await chat.send("what's the weather like in Shenzhen tomorrow?")
    assert chat.runtime.services.kb.facts.contacts.helpdesk.email in chat.text
    assert "1,500" not in chat.text


async def test_menu_choice_ids_run_commands_and_stale_buttons_are_ignored(chat: ChatDriver) -> None:
    await chat.send("/lang en")
    await chat.choose("help")
    assert "Factory Helpdesk" in chat.text
    await chat.choose("faq:fees.registration")
    assert "1,500" in chat.text
    await chat.choose("nonsense:button")
    assert "1,500" not in chat.text  # not an answer made up from a forged choice


async def test_cancel_without_a_flow_says_so(chat: ChatDriver) -> None:
    await chat.send("/lang en")
    await chat.send("/cancel")
    assert "nothing to cancel" in chat.text


async def test_events_subscribe_unsubscribe_and_menu_click(chat: ChatDriver, runtime) -> None:
    await chat.send(kind="event", event="subscribe")
    assert "Welcome" in chat.text or "欢迎" in chat.text
    await chat.send(kind="event", event="unsubscribe")
    assert chat.replies == []
    async with runtime.db.session() as s:
        contact = (await s.execute(select(Contact))).scalar_one()
        assert contact.subscribed is False
    await chat.send("/lang en")
    await chat.send(kind="event", event="click", extra={"event_key": "HELP"})
    assert "Factory Helpdesk" in chat.text


async def test_voice_images_locations_get_a_sensible_reply(chat: ChatDriver) -> None:
    await chat.send("/lang en")
    await chat.send(kind="voice", text="")
    assert "voice" in chat.text
    await chat.send(kind="voice", text="what is the audit fee per man day")
    assert "500" in chat.text
    await chat.send(kind="image")
    assert "text" in chat.text
    await chat.send(kind="location")
    assert "location" in chat.text


async def test_empty_and_very_long_messages(chat: ChatDriver) -> None:
    await chat.send("/lang en")
    await chat.send("   ")
    assert "type a question" in chat.text
    await chat.send("registration fee? " + "x" * 10_000)
    assert "first 4000 characters" in chat.text


async def test_contact_is_stored_hashed_and_encrypted(chat: ChatDriver, runtime) -> None:
    chat.contact = "oWECHAT-openid-123"
    await chat.send("/help")
    async with runtime.db.session() as s:
        rows = (await s.execute(select(Contact))).scalars().all()
    assert rows and all("openid-123" not in (r.key_hash + r.platform_id_enc) for r in rows)


async def test_unconfident_questions_are_kept_for_staff_without_the_asker(chat: ChatDriver, runtime) -> None:
    from bot.core.models.insights import UnansweredQuestion

    await chat.send("/lang en")
    await chat.send("can you recommend a good restaurant near the factory")
    await chat.send("registration fee")  # answered: not recorded
    async with runtime.db.session() as s:
        rows = (await s.execute(select(UnansweredQuestion))).scalars().all()
    assert len(rows) == 1
    assert "restaurant" not in rows[0].text_enc
    assert runtime.services.secrets.decrypt(rows[0].text_enc).startswith("can you recommend")


async def test_thanks_gets_a_polite_word_not_an_i_am_not_sure(chat: ChatDriver) -> None:
    await chat.send("/lang en")
    await chat.send("registration fee")
    await chat.send("ok thanks!")
    assert "You're welcome" in chat.text and "not sure" not in chat.text
    await chat.send("谢谢")
    assert "不客气" in chat.text
