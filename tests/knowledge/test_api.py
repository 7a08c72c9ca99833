"""The public API others code against."""
from __future__ import annotations

import datetime as dt

import knowledge
from knowledge import Answer, KnowledgeBase, Suggestion


def test_load_default_is_cached():
    assert knowledge.load_default() is knowledge.load_default()


def test_answer_shape(kb: KnowledgeBase):
    a = kb.answer("How much is the registration fee?")
    assert isinstance(a, Answer)
    d = a.to_dict()
    assert list(d) == ["answer", "topic", "confidence", "lang", "handoff", "suggestions", "source"]
    assert d["topic"] == "fees.registration"
    assert "1,500" in d["answer"]
    assert 0.0 <= d["confidence"] <= 1.0
    assert d["lang"] == "en" and d["handoff"] is False and d["source"]


def test_typed_facts(kb: KnowledgeBase):
    f = kb.facts
    assert (f.fees.registration_usd, f.fees.audit_per_man_day_usd, f.fees.certification_usd) == (1500, 500, 800)
    assert f.statuses["remediation"].validity_months == (9, 12)
    assert f.statuses["certified"].validity_months == (12,)
    assert f.statuses["progressing"].validity_months == (6,)
    assert f.statuses["assessed"].validity_months == (10,)
    assert f.statuses["terminated"].validity_months == (6,)
    assert [k for k, s in f.statuses.items() if s.certified] == ["certified", "remediation", "probation"]
    for s in f.statuses.values():
        assert s.name_en and s.name_zh and s.next_steps_en and s.next_steps_zh
    c = f.contacts
    assert c.helpdesk.phone == "+852-21112462" and c.helpdesk.email == "info@ethicaltoyprogram.org"
    assert c.helpline.phone == "4001-583580" and c.helpline.hours == "9:00-21:00"
    assert c.integrity.email == "integrity@ethicaltoyprogram.org"


def test_blackout_window(kb: KnowledgeBase):
    assert kb.blackout_for(dt.date(2024, 1, 28)) is None
    w = kb.blackout_for(dt.date(2024, 1, 29))
    assert w is not None and w.start == dt.date(2024, 1, 29) and w.end == dt.date(2024, 2, 25)
    assert kb.blackout_for(dt.date(2024, 2, 25)) is w
    assert kb.blackout_for(dt.date(2024, 2, 26)) is None


def test_topics_menu(kb: KnowledgeBase):
    for lang in ("en", "zh"):
        items = kb.topics(lang)
        assert items and all(isinstance(s, Suggestion) and s.title for s in items)
        assert len({s.topic for s in items}) == len(items)


def test_answer_topic(kb: KnowledgeBase):
    a = kb.answer_topic("fees.registration", lang="zh")
    assert a.topic == "fees.registration" and a.lang == "zh" and "1,500" in a.answer
    t = kb.answer_topic("fees.registration", lang="zh", script="traditional")
    assert "註冊" in t.answer


def test_lang_override(kb: KnowledgeBase):
    a = kb.answer("How much is the registration fee?", lang="zh")
    assert a.lang == "zh" and "注册" in a.answer


def test_urgent_and_emergency(kb: KnowledgeBase):
    assert kb.is_urgent("I want to kill myself")
    assert kb.is_urgent("我不想活了")
    assert not kb.is_urgent("fire safety training")
    assert not kb.is_urgent("How much is the audit fee?")
    for lang in ("en", "zh"):
        text = kb.emergency_text(lang)
        assert "110" in text and "120" in text and "119" in text and "4001-583580" in text
        assert kb.urgent_terms(lang)


def test_helpline_closed(kb: KnowledgeBase):
    assert not kb.helpline_closed_on(dt.date(2024, 3, 1))


def test_topics_menu_starts_with_the_main_questions(kb: KnowledgeBase):
    first = [s.topic for s in kb.topics("en")[:4]]
    assert first == ["fees.overview", "steps.overview", "status.overview", "audit.timing"]
    # entries that decline (a country's labour law: not in the documents) are not program topics
    assert len(kb.topics("zh")) == len([e for e in kb.entries if not e.declines])
    assert "program.local_law" not in [s.topic for s in kb.topics("en")]


def test_helpline_closures_are_data(kb: KnowledgeBase):
    assert kb.helpline_closures and all(c.start <= c.end for c in kb.helpline_closures)
    c = kb.helpline_closures[0]
    assert kb.helpline_closed_on(c.start) and kb.helpline_closed_on(c.end)


def test_emergency_topic_is_addressable(kb: KnowledgeBase):
    a = kb.answer("I want to kill myself")
    assert a.topic == "safety.emergency" and a.topic in kb.by_id and a.handoff
    t = kb.answer_topic("safety.emergency", lang="zh")
    assert "110" in t.answer and t.handoff
    assert "safety.emergency" not in [s.topic for s in kb.topics("en")]
