"""The answering rules, in the order they are tried (``RULES``).

Each rule reads one prepared question (``knowledge.question.Question``) and returns an answer, or
None to pass it to the next rule. The order matters: urgent words win over everything, declines
come before matching, computed answers before matched ones, and the last rule always answers.
To add a rule, write a function with a docstring saying what it catches and put it in ``RULES``
where it belongs; the knowledge batches (``tests/knowledge/``) show what it changes.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from knowledge import candidates, parsing, stories
from knowledge.model import EMERGENCY_TOPIC, WORKER_TOPIC, Answer, Suggestion
from knowledge.text import normalise

if TYPE_CHECKING:
    from knowledge.answering import Engine
    from knowledge.question import Question

Rule = Callable[["Engine", "Question"], "Answer | None"]

TIE = 0.002          # from the "sure" score on, only this close is a tie
FOREIGN_SHARE = 0.6  # a Chinese question with this share of unknown bigrams …
FOREIGN_SURE = 0.6   # … needs this score to be answered


def no_words(eng: Engine, q: Question) -> Answer | None:
    """An empty message, or one without a single word ("??"): ask for a question."""
    if not q.raw or not re.search(r"\w", q.raw):
        return Answer(eng.msg("empty", q.lang), None, 0.0, q.lang, False)
    return None


def urgent_words(eng: Engine, q: Question) -> Answer | None:
    """Urgent words (violence, self-harm, fire, "组长打我"): the emergency guidance, before anything
    else (the dialogue then offers the worker helpline)."""
    if eng.safety.terms.search(q.norm):
        return Answer(eng.safety.emergency[q.lang], EMERGENCY_TOPIC, 1.0, q.lang, True, [], eng.safety.source)
    return None


def other_subjects(eng: Engine, q: Question) -> Answer | None:
    """A term of another subject (BSCI, EN71, the weather, minimum wage …, ``[out_of_scope_terms]``):
    declined. Unless the term is only in a sentence of context and another sentence asks about the
    program by name ("我们之前做过 BSCI，现在客户要ETP，请问ETP的注册费多少钱"): then the next rules
    read only the other sentences. A near-domain subject (a price list, finding buyers, offices
    abroad, another scheme's certificate) gets its own decline saying what the bot can do instead."""
    if not eng.messages.out_of_scope.search(q.norm):
        return None
    if eng.workers.trouble(q.norm) and eng.workers.only_subjects(eng.messages.out_of_scope.all(q.norm)):
        return None  # "老板一直不给我们买社保": the "other subject" is the worker's own trouble (next rule)
    both = _in_scope_and_declined(eng, q)
    if both is not None:
        return both
    kept = stories.outside_context(eng, q.text)
    if kept is None:
        return eng.decline(q.lang, q.norm)
    q.narrow(kept)
    return None


def _in_scope_and_declined(eng: Engine, q: Question) -> Answer | None:
    """"注册费多少？另外你们有越南办事处吗": clauses that each ask, some about the program (answered
    when sure) and some about another subject (declined): both answered, in the message's order."""
    if not q.split:
        return None
    parts = stories.clauses(eng, q.text)
    oos = eng.messages.out_of_scope
    flagged = [p for p in parts if oos.search(normalise(p))]
    if len(parts) < 2 or not flagged or len(flagged) == len(parts):
        return None
    answers = []
    for p in parts:
        if p in flagged:
            answers.append(eng.decline(q.lang, normalise(p)))
            continue
        a = eng.answer(p, q.lang, q.today, split=False)
        if a.topic not in (None, EMERGENCY_TOPIC, WORKER_TOPIC) and a.confidence >= stories.CLAUSE_SURE:
            answers.append(a)
    sure = [a for a in answers if a.topic]
    if not sure:
        return None
    return Answer(" ".join(dict.fromkeys(a.answer for a in answers)), sure[0].topic,
                  round(min(a.confidence for a in sure), 3), q.lang, True, [],
                  "; ".join(a.source for a in sure if a.source))


def workers_own_question(eng: Engine, q: Question) -> Answer | None:
    """A worker writing about their own wages, contract, hours, treatment, dormitory, health or
    feelings, with no factory or audit word ("我们厂加班费一直没给，我可以找谁"): the Worker Helpline,
    never audit criteria."""
    if eng.workers.trouble(q.norm) and WORKER_TOPIC in eng.by_id:
        return Answer(eng.workers.answer[q.lang], WORKER_TOPIC, 0.9, q.lang, False, [], eng.workers.source)
    return None


def price_of_something_else(eng: Engine, q: Question) -> Answer | None:
    """"吹塑机多少钱一台": the only known words ask "how much" and the thing priced is unknown: declined."""
    if candidates.only_price_words(eng, q.prepared):
        return eng.decline(q.lang)
    return None


def fee_detail_unknown(eng: Engine, q: Question) -> Answer | None:
    """A detail of a fee the documents don't give ("注册费可以分期付吗", "can we pay by credit card?",
    "is the audit fee including tax?"): the fee's own answer, then that the documents don't say and
    where to ask. Never a guess."""
    v = eng.vocab
    if not v.unknown_detail.search(q.norm) or not (v.money.search(q.norm) or parsing.man_days(q.norm)):
        return None
    # the detail is what is asked ("…说要收审核费现金 我们没给 这种情况要向谁报告" asks whom to tell)
    asking = [p for p in stories.sentences(eng, q.text) if v.asking.search(p)]
    if asking and len(asking) < len(stories.sentences(eng, q.text)) and not any(
            v.unknown_detail.search(normalise(p)) for p in asking):
        return None
    fee = next(((s, i) for s, i in q.ranking[:3] if eng.area(i) == "fees" and s >= eng.suggest_floor), None)
    if fee is None:
        return None
    entry = eng.entries[fee[1]]
    slots = dict(q.slots)
    n = parsing.man_days(q.norm)  # "2 man days including tax": the figure for 2 man-days, then the unknown
    if n is not None and 0 < n <= 1000:
        slots["man_days"] = n
    a = eng.render(entry, q.lang, q.today, slots, max(fee[0], eng.threshold))
    if not entry.handoff:  # an entry that is itself about the unknown details already says so
        a.answer = f"{a.answer} {eng.msg('unknown_detail', q.lang)}"
        a.handoff = True
    return a


def several_questions(eng: Engine, q: Question) -> Answer | None:
    """Two or three clauses that each ask about a different topic ("注册费多少 审核一个人日多少"):
    each answered, computed answers included."""
    return stories.several_questions(eng, q.text, q.lang, q.today, q.ranking) if q.split else None


def man_days_cost(eng: Engine, q: Question) -> Answer | None:
    """A number of man-days ("5 man-day", "五个人日"): the audit fee, or with "total/一共" the total
    cost (registration + audit + certification)."""
    if q.man_days is None:
        return None
    topic = "fees.total" if eng.vocab.total.search(q.norm) else "fees.audit"
    if topic in eng.by_id:
        return eng.render(eng.by_id[topic], q.lang, q.today, q.slots, 0.95)
    return None


def status_end_from_date(eng: Engine, q: Question) -> Answer | None:
    """A date with a named status (or a status as the best match) and validity words ("certified
    on 1 March 2024, when does it expire?"): the end of validity and the days left from today."""
    if not q.dates or not eng.vocab.validity.search(q.norm):
        return None
    # a status merely among the candidates is not enough ("we registered on 3 March … how long
    # until the audit?")
    status = q.status or (q.top_ids[0].split(".", 1)[1] if q.top_ids and q.top_ids[0].startswith("status.")
                          else None)
    if status is None or f"status.{status}" not in eng.by_id:
        return None
    return eng.render(eng.by_id[f"status.{status}"], q.lang, q.today, {**q.slots, "status": status}, 0.93)


def pv_from_certification_date(eng: Engine, q: Question) -> Answer | None:
    """A certification date and the Progress Visit ("we were certified on 1 March 2024, when is our
    Progress Visit?"): the dates between which the PV firm should make contact."""
    if (q.dates and "pv.timing" in eng.by_id and q.status == "certified" and eng.vocab.pv.search(q.prepared)
            and not eng.vocab.holiday.search(q.norm)):
        return eng.render(eng.by_id["pv.timing"], q.lang, q.today, q.slots, 0.9)
    return None


def date_in_blackout(eng: Engine, q: Question) -> Answer | None:
    """A date in a sentence asking about an audit or visit ("can the audit be on 1 Feb 2024?"):
    inside or outside a blackout window."""
    v = eng.vocab
    if q.dates and "audit.blackout" in eng.by_id and (
            v.blackout.search(q.norm) or "audit.blackout" in q.top_ids) and (
            q.date_asked() or "audit.blackout" in q.top_ids or v.holiday.search(q.norm)):
        return eng.render(eng.by_id["audit.blackout"], q.lang, q.today, q.slots, 0.93)
    return None


def status_end_from_month(eng: Engine, q: Question) -> Answer | None:
    """A status with a month but no day ("terminated in March 2024, when can we come back?"): the
    month its validity ends (or reapplication opens)."""
    if not q.months or q.dates or not eng.vocab.validity.search(q.norm) or eng.vocab.pv.search(q.prepared):
        return None
    status = q.status or next((t.split(".", 1)[1] for t in q.top_ids if t.startswith("status.")), None)
    if status not in eng.calc.facts.statuses or f"status.{status}" not in eng.by_id:
        return None
    e = eng.by_id[f"status.{status}"]
    return Answer(eng.calc.validity_month(status, q.months[0], q.lang, q.today), e.id, 0.9, q.lang,
                  e.handoff, [], e.source)


def month_in_blackout(eng: Engine, q: Question) -> Answer | None:
    """A month without a day and audit words ("audits in late January 2024?", "2月份能审核吗"):
    whether that month overlaps a blackout window."""
    v = eng.vocab
    if not (q.months and "audit.blackout" in eng.by_id and v.blackout.search(q.norm)
            and not v.validity.search(q.norm) and (v.holiday.search(q.norm) or q.date_asked())):
        return None
    top = q.ranking[0] if q.ranking else (0.0, -1)
    asks_fee = "fee" in q.prepared.split() or "费用" in q.prepared
    if asks_fee or (top[0] >= 0.6 and eng.entries[top[1]].id != "audit.blackout"):
        return None
    return eng.render(eng.by_id["audit.blackout"], q.lang, q.today, {**q.slots, "months": q.months}, 0.85)


def fee_by_figure(eng: Engine, q: Question) -> Answer | None:
    """A fee's own figure names that fee when the words leave it unsure ("can we get the certificate
    without paying the 800?")."""
    named = candidates.fee_named(eng, q.norm, q.boosted)
    if named is None:
        return None
    return eng.render(named, q.lang, q.today, q.slots, max(eng.threshold, q.boosted[0][0] if q.boosted else 0.0))


def too_unsure(eng: Engine, q: Question) -> Answer | None:
    """The best match is below the threshold: the area's overview when the top three are all of one
    area that has one (fees, statuses), else "not sure" with suggestions and the helpdesk."""
    ranking = q.boosted
    if ranking and ranking[0][0] >= eng.threshold:
        return None
    overview = candidates.area_overview(eng, ranking)
    if overview is not None:
        return eng.render(overview, q.lang, q.today, q.slots, ranking[0][0])
    return eng.not_sure(ranking, q.lang)


def both_topics(eng: Engine, q: Question) -> Answer | None:
    """One question about two things ("工人热线和服务台电话分别是多少"): both close topics answered."""
    return candidates.both(eng, q.text, q.lang, q.today, q.boosted)


def missing_required_subject(eng: Engine, q: Question) -> Answer | None:
    """The best entry needs a word the question lacks (``requires``: "宿舍一个月电费多少" names no
    audit): "not sure"."""
    req = eng.entries[q.boosted[0][1]].requires
    if req is not None and not (req.search(q.norm) or req.search(q.prepared)):
        return eng.not_sure(q.boosted, q.lang)
    return None


def mostly_unknown_chinese(eng: Engine, q: Question) -> Answer | None:
    """A one-sentence Chinese question whose bigrams are mostly unknown (工厂的排污许可证…) with only
    a middling match on the rest: likely another subject, so "not sure"."""
    if q.boosted[0][0] < FOREIGN_SURE and candidates.foreign_share(eng, q.prepared) >= FOREIGN_SHARE:
        return eng.not_sure(q.boosted, q.lang)
    return None


def near_tie(eng: Engine, q: Question) -> Answer | None:
    """The top two are too close to choose (below "sure"; topics of one area need less): ask which
    one, with the close ones as suggestions (topic null, no handoff)."""
    ranking = q.boosted
    if len(ranking) < 2:
        return None
    s1, i1 = ranking[0]
    area = eng.area(i1)

    def margin(i: int) -> float:
        if s1 >= eng.sure:
            return TIE
        return eng.same_area_margin if eng.area(i) == area else eng.ambiguity_margin

    close = [(s, i) for s, i in ranking[1:3] if s1 - s < margin(i)]
    if not close:
        return None
    sugg = [Suggestion(eng.entries[i].id, eng.entries[i].title[q.lang]) for _, i in [(s1, i1), *close]]
    text = eng.msg("ambiguous", q.lang, list=eng.join([s.title for s in sugg], q.lang))
    return Answer(text, None, round(s1, 3), q.lang, False, sugg)


def best_match(eng: Engine, q: Question) -> Answer:
    """The best entry's answer, with the score as confidence."""
    s1, i1 = q.boosted[0]
    return eng.render(eng.entries[i1], q.lang, q.today, q.slots, s1)


RULES: tuple[Rule, ...] = (
    no_words,
    urgent_words,
    other_subjects,
    workers_own_question,
    price_of_something_else,
    fee_detail_unknown,
    several_questions,
    man_days_cost,
    status_end_from_date,
    pv_from_certification_date,
    date_in_blackout,
    status_end_from_month,
    month_in_blackout,
    fee_by_figure,
    too_unsure,
    both_topics,
    missing_required_subject,
    mostly_unknown_chinese,
    near_tie,
    best_match,
)
