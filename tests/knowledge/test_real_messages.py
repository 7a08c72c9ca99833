"""Answers that hold on real messages: near-domain subjects declined with what the bot can do
instead, unknown details said to be unknown, stories answered on their question, two questions."""
from __future__ import annotations

import pytest

from knowledge import KnowledgeBase


@pytest.mark.parametrize("q,says", [
    ("Please send me your factory's price list for plush toys", "no factory's price list"),
    ("有没有毛绒玩具工厂的报价单 发一份给我", "没有任何工厂的报价单"),
    ("你们可以帮我们找客户吗", "不为工厂寻找客户"),
    ("Can your team help us find new customers in Europe?", "doesn't find customers"),
    ("你们在越南有办事处吗", "没有列出项目在其他国家"),
    ("do u have office in Indonesia", "don't list the program's offices"),
    ("We already have BSCI certificate, can you accept it instead of ETP audit?", "another program or standard"),
    ("SMETA審核點樣申請", "屬於其他項目或標準"),
    ("our factory moved, do we need a new audit?", "don't say what happens when a factory moves"),
    ("我们厂搬到新地址了 要重新审核吗", "没有说明工厂搬迁"),
    ("能不能介绍一些买家给我们", "不为工厂寻找客户"),
])
def test_near_domain_subjects_are_declined_with_what_the_bot_can_do(kb: KnowledgeBase, q, says):
    a = kb.answer(q)
    assert a.topic is None and a.handoff and says in a.answer, a.answer
    assert "1,500" not in a.answer and "US$" not in a.answer  # no program fee passed off as the answer


def test_a_scheme_named_only_as_context_still_gets_the_program_answer(kb: KnowledgeBase):
    a = kb.answer("我们之前做过 BSCI，现在客户要ETP，请问ETP的注册费多少钱")
    assert a.topic == "fees.registration" and "1,500" in a.answer


ZH_UNKNOWN, EN_UNKNOWN = ("没有说明", "沒有說明", "沒有説明", "其他问题", "其他問題"), ("don't say", "For anything else")


@pytest.mark.parametrize("q,figure,unknown", [
    ("注册费可以分期付吗", "1,500", ZH_UNKNOWN),
    ("註冊費可唔可以用微信俾", "1,500", ZH_UNKNOWN),
    ("Can we pay the registration fee in installments?", "1,500", EN_UNKNOWN),
    ("Is the audit fee including tax and the auditor travel cost?", "500", EN_UNKNOWN),
    ("any discount for registration fee if we have 3 factories", "1,500", EN_UNKNOWN),
])
def test_unknown_details_are_said_to_be_unknown_with_the_known_figure(kb: KnowledgeBase, q, figure, unknown):
    a = kb.answer(q)
    assert a.topic and a.topic.startswith("fees.") and figure in a.answer, a.answer
    assert any(u in a.answer for u in unknown), a.answer
    assert "21112462" in a.answer and a.handoff


def test_a_detail_with_man_days_gives_the_computed_figure_then_the_unknown(kb: KnowledgeBase):
    a = kb.answer("how much for 2 man days including tax")
    assert a.topic == "fees.total" and "3,300" in a.answer and "don't say" in a.answer


@pytest.mark.parametrize("q,topic", [
    ("Does the helpdesk have office hours on Saturday?", "contacts.helpdesk"),  # not "offices abroad"
    ("Please send the price list of ETP fees", "fees.overview"),                 # the program's own prices
    ("Can we pay the audit fee by WeChat?", "fees.audit"),                       # not the WeChat account
    ("ETP改名了吗", "program.name_change"),
])
def test_near_domain_words_do_not_catch_the_programs_own_questions(kb: KnowledgeBase, q, topic):
    """(ETP改名了吗 is the program's own name change, not a factory's.)"""
    assert kb.answer(q).topic == topic


def test_a_detail_word_in_the_story_is_not_the_question(kb: KnowledgeBase):
    a = kb.answer("上个月有人冒充审核公司的人来我们厂 说要收审核费现金 我们没给 这种情况要向谁报告")
    assert "integrity@ethicaltoyprogram.org" in a.answer and "没有说明" not in a.answer


@pytest.mark.parametrize("q", [
    "Hello, the auditor find some problem about overtime record not accurate and wages was paid late to workers, "
    "this is major or critical?",
    "审核员说我们加班记录不准确 工资也晚发了半个月 这个算主要问题还是严重问题",
])
def test_a_story_is_answered_on_its_question(kb: KnowledgeBase, q):
    a = kb.answer(q)
    assert a.topic == "nc.critical", (a.topic, a.answer)


@pytest.mark.parametrize("q,figures", [
    ("Dear sir, we are toy factory in Vietnam, our buyer ask us join ETP program. Please kindly advise what is "
     "the cost for registration and how much is audit fee. Thank you.", ["1,500", "500 per man-day"]),
    ("注册费多少 证书费又是多少", ["1,500", "800"]),
    ("What is the registration fee? And who is the audit firm?", ["1,500", "SGS"]),
    # one about the program, one about another subject: the first answered, the second declined
    ("注册费多少？另外你们有越南办事处吗", ["1,500", "没有列出项目在其他国家"]),
])
def test_two_questions_in_one_message_get_both_answers(kb: KnowledgeBase, q, figures):
    a = kb.answer(q)
    assert all(f in a.answer for f in figures), a.answer


@pytest.mark.parametrize("q", ["我在厂里做了两年 老板一直不给我们买社保 找谁投诉", "我老細成日唔俾加班費 點算",
                               "組長成日鬧我哋 好唔開心"])
def test_a_workers_own_trouble_gets_the_helpline_even_in_cantonese(kb: KnowledgeBase, q):
    a = kb.answer(q)
    assert a.topic == "contacts.helpline" and "4001-583580" in a.answer


def test_a_bad_decline_table_is_named(data_copy):
    from knowledge import KnowledgeError

    f = data_copy / "messages.toml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace('name = "offices"\nterms_en = [', 'name = "offices"\nterms_xx = [', 1), encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        KnowledgeBase.from_dir(data_copy)
    assert info.value.file.endswith("messages.toml") and info.value.entry == "offices" and "terms_en" in str(info.value)
