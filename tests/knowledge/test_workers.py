"""Workers' own questions (workers.toml) against questions a factory asks on the same subjects.
A worker is routed to the helpline when the engine answers with it, or when the engine declines
and the text is written like a worker's complaint (what handlers/faq.py does with it)."""
import pytest

WORKERS = [
    # written while building the rules
    "我们厂加班费一直没给，我可以找谁", "老板不给我们签劳动合同怎么办", "my boss doesn't pay overtime, who can I talk to",
    "工资卡被老板拿走了", "请问被拖欠的工资可以去哪里投诉", "这个月工资少了五百块，问主管他不理",
    "晚上要加班到十二点，不加班就扣钱", "拉长老是针对我", "我怀孕了，厂里让我走",
    "my boss keeps my ID card and won't give it back", "we have not received wages for 2 months",
    "my team leader shouts at me in front of everyone", "our dorm room has 16 people",
    "i feel lonely here, no friends", "I got injured on the machine, who pays",
    # second and third batches (each written before the rules were run on it, then kept passing)
    "厂里扣了我们的押金不退", "老板说辞职就不给最后一个月的工资", "每个月只放两天假，太累了", "我们一个月上班30天",
    "车间主任经常打骂工人", "宿舍里面有蟑螂，也没有风扇", "我头晕，车间的味道很大", "心里很难受，不知道找谁说",
    "the boss said if we quit he will keep our last salary", "we work every sunday and never get overtime pay",
    "my supervisor touched me and I feel scared", "I have no contract and no social insurance",
    "我们的计件工资被压了两个月", "没有合同，老板说不用签", "上夜班连续一个月了，白天也睡不好",
    "组长让我们站着干活不准坐", "宿舍十几个人一间，很吵", "我的手被机器夹伤了", "一个人在外面打工很孤单",
    "老板克扣我们的餐费", "they didn't pay us for the overtime last month", "my manager calls me stupid every day",
    "the factory won't give us our payslips", "I can't sleep and I cry at night",
]
FACTORY = [
    "what is the audit standard on wages", "is late wage payment a major or critical non-compliance",
    "加班工时超过多少算不符合", "审核会不会查宿舍", "如果工人没签合同会怎样", "does the audit check wage records",
    "is a missing labour contract a major NC", "我是工厂的经理，想了解认证流程", "我们老板想知道认证费多少",
    "our supervisor asks when the PV will come", "工人工资记录需要保存多久",
    "what does the code say about dormitory conditions", "is excessive overtime a critical non-compliance",
    "审核时老板需要在场吗", "工人每周工作多少小时符合标准", "do auditors interview workers about wages",
    "宿舍消防检查是审核的一部分吗", "我们工厂工人的合同要给他们副本吗", "what records of overtime pay should we keep",
    "老板问审核员几点到", "my manager asked me to register the factory on connect",
    "workers' overtime hours limit for certification", "审核员会问工人工资吗",
    "do we have to give workers a copy of the contract", "how is overtime pay checked during the audit",
    "如果工资延迟发放，审核会怎么评级", "our HR wants to know the registration fee", "主管问一下PV要多长时间",
    "老板想知道证书什么时候到期", "麻烦问一下审核费多少",
]


def routed_to_helpline(kb, q: str) -> bool:
    a = kb.answer(q)
    return a.topic == "contacts.helpline" or (a.topic is None and kb.worker_trouble(q, factory_questions=False) is not None)


@pytest.mark.parametrize("q", WORKERS)
def test_a_workers_own_question_goes_to_the_helpline(kb, q) -> None:
    assert routed_to_helpline(kb, q), kb.answer(q).to_dict()


@pytest.mark.parametrize("q", FACTORY)
def test_a_factory_question_on_the_same_subjects_keeps_a_factory_answer(kb, q) -> None:
    assert kb.worker_trouble(q) is None and not routed_to_helpline(kb, q), kb.answer(q).to_dict()


def test_the_helpline_answer_gives_the_seeds_facts_in_both_languages(kb) -> None:
    helpline = kb.facts.contacts.helpline
    for q, lang in [("我们厂加班费一直没给，我可以找谁", "zh"), ("my boss doesn't pay overtime", "en")]:
        a = kb.answer(q)
        assert a.lang == lang and helpline.phone in a.answer and helpline.hours in a.answer
        assert ("confidential" if lang == "en" else "保密") in a.answer and ("Chinese New Year" if lang == "en" else "春节") in a.answer
        assert "2111" not in a.answer and not a.handoff
