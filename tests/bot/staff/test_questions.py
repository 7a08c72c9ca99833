"""The console page of unanswered FAQ questions: what the knowledge base lacks, for the helpdesk and
admins only, newest first, filterable by language and suggested topic, escaped, paged; never any
helpline or integrity text."""
from datetime import timedelta

from bot.core.models.insights import UnansweredQuestion
from tests.casekit import file_helpline_report
from tests.conftest import ChatDriver


async def _question(runtime, text: str, lang: str, confidence: float, topic: str | None, ambiguous: bool) -> None:
    async with runtime.db.session() as s:
        s.add(UnansweredQuestion(text_enc=runtime.services.secrets.encrypt(text), lang=lang, confidence=confidence,
                                 best_topic=topic, ambiguous=ambiguous, created_at=runtime.services.clock()))


async def test_helpdesk_sees_questions_the_bot_could_not_answer_newest_first(sign_in, runtime, clock) -> None:
    asker = ChatDriver(runtime, contact="factory-manager")
    await asker.send("How do I bake bread with a dragon?")  # the real FAQ records it
    clock.advance(timedelta(minutes=5))
    await _question(runtime, "认证 还是 续期?", "zh", 0.41, "fees.certification", True)
    clock.advance(timedelta(minutes=5))
    await _question(runtime, '<script>alert("x")</script> fee?', "en", 0.27, "fees.registration", False)
    await file_helpline_report(ChatDriver(runtime, contact="worker"), "Unpaid overtime in March")

    desk = await sign_in("desk@etp.org")
    response = await desk.client.get("/staff/questions")
    html = await response.text()
    assert response.status == 200
    assert html.count('class="question-row"') == 3
    assert html.index("alert(") < html.index("认证 还是 续期?") < html.index("bake bread with a dragon")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; fee?" in html and "<script>" not in html
    assert "0.41" in html and "0.27" in html and "yes: two topics too close" in html
    assert "fees.certification" in html and "Unpaid overtime" not in html
    assert 'href="/staff/questions"' in html  # in the navigation

    chinese = await (await desk.client.get("/staff/questions?lang=zh")).text()
    assert chinese.count('class="question-row"') == 1 and "认证 还是 续期?" in chinese
    by_topic = await (await desk.client.get("/staff/questions?topic=fees.registration")).text()
    assert by_topic.count('class="question-row"') == 1 and "alert(" in by_topic
    no_topic = await (await desk.client.get("/staff/questions?topic=-")).text()
    assert no_topic.count('class="question-row"') == 1 and "dragon" in no_topic


async def test_only_helpdesk_and_admin_see_the_page(sign_in, runtime) -> None:
    await _question(runtime, "what is a progress visit window", "en", 0.3, None, False)
    admin = await sign_in("admin@etp.org")
    assert "progress visit window" in await (await admin.client.get("/staff/questions")).text()
    for email in ("line@etp.org", "integrity@etp.org"):
        browser = await sign_in(email)
        assert (await browser.client.get("/staff/questions")).status == 404
        assert 'href="/staff/questions"' not in await (await browser.client.get("/staff/")).text()


async def test_a_long_list_is_paged_and_bad_filters_are_ignored(sign_in, runtime, clock, monkeypatch) -> None:
    from bot.staff import questions

    monkeypatch.setattr(questions, "PAGE_SIZE", 2)
    for n in range(3):
        await _question(runtime, f"question number {n}", "en", 0.2, None, False)
        clock.advance(timedelta(minutes=1))
    desk = await sign_in("desk@etp.org")
    first = await (await desk.client.get("/staff/questions")).text()
    second = await (await desk.client.get("/staff/questions?page=2")).text()
    assert "3 questions · page 1 of 2" in first
    assert ["question number 2" in first, "question number 0" in first] == [True, False]
    assert "question number 0" in second and "question number 2" not in second
    for query in ("?lang=xx", "?topic=" + "x" * 500, "?page=-3", "?lang=%00", "?topic=%00"):
        assert (await desk.client.get("/staff/questions" + query)).status == 200


async def test_a_reporters_words_outside_the_report_never_reach_the_page(sign_in, runtime) -> None:
    worker = ChatDriver(runtime, contact="worker-7")
    await file_helpline_report(worker, "The supervisor takes our bonus")
    await worker.send("It was Mr Wang from the night shift")  # an answer to staff, without the reference
    assert "not sure" in worker.text  # the FAQ had no answer: but it is not kept as a question
    stranger = ChatDriver(runtime, contact="scared")
    await stranger.send("I want to kill myself, nobody helps")  # urgent words: never a FAQ question
    manager = ChatDriver(runtime, contact="manager")
    await manager.send("How do I bake bread with a dragon?")
    desk = await sign_in("desk@etp.org")
    html = await (await desk.client.get("/staff/questions")).text()
    assert "Mr Wang" not in html and "kill myself" not in html
    assert "bake bread with a dragon" in html  # a factory's question is kept


async def test_misanswered_questions_show_the_topic_and_the_answer_given(sign_in, runtime) -> None:
    asker = ChatDriver(runtime, contact="factory-manager")
    await asker.send("How much is the registration fee?")
    await asker.send("No")  # "Did this help?" → No
    await asker.send("How do I bake bread with a dragon?")  # unanswered
    desk = await sign_in("desk@etp.org")
    html = await (await desk.client.get("/staff/questions?kind=misanswered")).text()
    assert html.count('class="question-row"') == 1 and "Misanswered" in html and "US$1,500" in html
    assert "How much is the registration fee?" in html and "fees.registration" in html and "dragon" not in html
    unanswered = await (await desk.client.get("/staff/questions?kind=unanswered")).text()
    assert unanswered.count('class="question-row"') == 1 and "dragon" in unanswered and "Misanswered" not in unanswered
    everything = await (await desk.client.get("/staff/questions?kind=bogus")).text()
    assert everything.count('class="question-row"') == 2
