"""Long messages: the asking sentence of a story, several questions in one message, sentences that
only give context, and whether a date is in the sentence that asks."""
from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from knowledge import parsing
from knowledge.candidates import AREA_OVERVIEWS
from knowledge.model import EMERGENCY_TOPIC, Answer
from knowledge.text import has_cjk, normalise

if TYPE_CHECKING:
    import datetime as dt

    from knowledge.answering import Engine

Ranking = list[tuple[float, int]]

CLAUSE_SURE = 0.6  # each clause of a two-part question must be this sure to answer both
_CJK_SPACE_RE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def sentences(eng: "Engine", text: str) -> list[str]:
    """The sentences of a message (WeChat users often separate them with spaces, not punctuation)."""
    return [p.strip() for p in eng.vocab.sentence.split(_CJK_SPACE_RE.sub("。", text)) if p and p.strip()]


def focus(eng: "Engine", question: str, ranking: Ranking) -> Ranking:
    """A long message ("Hi, I'm the compliance manager of … We registered last week … How long
    until the audit is done?"): its context dilutes the match, so the question sentence alone is
    ranked too and wins when it matches better."""
    asking_re = eng.vocab.asking
    tie = (len(ranking) > 1 and ranking[0][0] >= eng.threshold
           and ranking[0][0] - ranking[1][0] < eng.ambiguity_margin)
    if ranking and ranking[0][0] >= eng.threshold and not tie:
        return ranking  # the whole message matched: its context helps more than it hurts
    parts = sentences(eng, question)
    if len(parts) < 2:
        return ranking
    asking = [p for p in parts if asking_re.search(p)]
    if len(asking) >= 2:  # "Is this real? How can I check?": short questions read together
        asking.append(" ".join(asking[-2:]))
    for j in range(1, len(parts)):
        # "…the system asks us to pay. How much is it?": a question without a subject of its own
        # is read with the sentence before it
        if parts[j] in asking and eng.content(parts[j]) <= 1:
            asking.append(f"{parts[j - 1]} {parts[j]}")
    best = ranking
    joined = set(asking[len([p for p in parts if asking_re.search(p)]):])
    for part in asking or parts:
        prepared = eng.matcher.prepare_query(part)
        known, _, _ = eng.matcher.query_weights(prepared)
        if len([k for k in known if k[0] in "wz"]) < (1 if part in joined else 2):
            continue
        r = eng.matcher.rank(prepared)
        if not r:
            continue
        if tie:
            # the whole message is torn between two topics (its story and its question): the
            # asking sentence decides when it clearly points to one of them
            clear = len(r) == 1 or r[0][0] - r[1][0] >= eng.ambiguity_margin
            if clear and (r[0][0] >= ranking[0][0] or r[0][1] in {i for _, i in ranking[:2]}):
                best = r
            continue
        if ranking and r[0][1] != ranking[0][1]:
            # the story's topic ("…PV company called us…") settles what the asking sentence
            # ("can we ask them to come after 2 months?") is about, when it is a close candidate
            ctx = [(sc, i) for sc, i in r[:3] if i == ranking[0][1] and sc >= max(eng.threshold, r[0][0] - 0.2)]
            if ctx:
                r = [(min(1.0, r[0][0] + 0.05), ctx[0][1]), *[x for x in r if x[1] != ctx[0][1]]]
        if not best or r[0][0] > best[0][0]:
            best = r
    return best


def clauses(eng: "Engine", question: str) -> list[str]:
    """The clauses of a message that each ask something ("注册费多少 审核一个人日多少")."""
    parts = []
    for sentence in re.split(r"(?<=[?？])", _CJK_SPACE_RE.sub("。", question)):
        asked = sentence.rstrip().endswith(("?", "？"))
        pieces = [p.strip() for p in eng.vocab.clause.split(sentence) if p and p.strip()]
        parts += [p for j, p in enumerate(pieces)
                  if eng.vocab.clause_ask.search(p) or (asked and j == len(pieces) - 1)]
    return parts


def several_questions(eng: "Engine", question: str, lang: str, today: "dt.date",
                      ranking: Ranking) -> Answer | None:
    """"注册费多少 审核一个人日多少 证书费多少", "When is the PV and how many workers are surveyed?":
    two or three clauses that each ask, each confidently about a different topic, get all their
    answers (each clause answered on its own, computed answers included; `topic` is the first's)."""
    v = eng.vocab
    norm = normalise(question)
    if parsing.man_days(norm) is not None and v.total.search(norm):
        return None  # "3 man-days … what else do we pay … how much altogether": one computed total
    parts = clauses(eng, question)
    if len(parts) < 2:
        return None
    answers: list[Answer] = []
    unsure: list[Answer] = []
    for part in parts[:4]:
        prepared = eng.matcher.prepare_query(part)
        known, _, _ = eng.matcher.query_weights(prepared)
        if not [k for k in known if k[0] in "wz"]:
            continue
        a = eng.answer(part, lang, today, split=False)
        if a.topic is None and a.suggestions:  # a near tie: maybe the other clauses settle it
            areas_a = {x.topic.split(".", 1)[0] for x in a.suggestions}
            overview = f"{areas_a.pop()}.overview" if len(areas_a) == 1 else ""
            if overview.split(".")[0] in AREA_OVERVIEWS and overview in eng.by_id:
                a = eng.render(eng.by_id[overview], lang, today, {}, a.confidence)
            answers.append(a)
        elif a.topic and a.topic != EMERGENCY_TOPIC and a.confidence >= CLAUSE_SURE:
            answers.append(a)
        elif a.topic and a.topic != EMERGENCY_TOPIC and a.confidence >= eng.threshold:
            unsure.append(a)
    # a clause answered less surely still counts when a sure clause is of the same area ("what is
    # the cost for registration and how much is audit fee": both fees)
    sure_areas = {a.topic.split(".", 1)[0] for a in answers if a.topic}
    answers += [a for a in unsure if a.topic.split(".", 1)[0] in sure_areas]
    # a clause torn between topics, or matched in another area than the rest ("PV什么时候来？
    # 会看多少工人？": the PV's worker survey, not the audit's interviews), takes the candidate
    # of an area another clause is sure about
    areas = {a.topic.split(".", 1)[0] for a in answers if a.topic}
    picks: list[Answer] = []
    for a, part in zip(answers, parts, strict=False):
        area = a.topic.split(".", 1)[0] if a.topic else None
        named = area in v.area_words and v.area_words[area].search(eng.matcher.prepare_query(part))
        if area is None or (len(areas) > 1 and area not in areas - {area} and not named):
            other = areas - {area} if area else areas
            r = [x for x in eng.matcher.rank(eng.matcher.prepare_query(part))[:3]
                 if not eng.entries[x[1]].declines]
            alt = [(sc, i) for sc, i in r if eng.area(i) in other
                   and sc >= max(eng.threshold, r[0][0] - 0.2)]
            if alt:
                a = eng.render(eng.entries[alt[0][1]], lang, today, {}, alt[0][0])
            elif a.topic is None:
                continue
        if a.topic and all(a.topic != p.topic for p in picks):
            picks.append(a)
    if len(picks) < 2:
        return None
    whole = ranking[0] if ranking else (0.0, -1)
    if (whole[0] >= CLAUSE_SURE and eng.entries[whole[1]].id not in {p.topic for p in picks}
            and whole[0] > picks[0].confidence):
        return None  # the whole question points elsewhere, more strongly
    picks = picks[:3]
    return Answer(" ".join(p.answer for p in picks), picks[0].topic, round(min(p.confidence for p in picks), 3),
                  lang, any(p.handoff for p in picks), [], "; ".join(p.source or "" for p in picks))


def date_asked(eng: "Engine", question: str, today: "dt.date") -> bool:
    """Whether a date is in a sentence that asks something (or the message is one sentence):
    "our audit was done on 10 Jan … What status will we get?" is not about that date."""
    parts = [p for p in eng.vocab.sentence.split(_CJK_SPACE_RE.sub("。", question)) if p and p.strip()]
    asking = [p for p in parts if eng.vocab.asking.search(p)]
    if len(parts) < 2 or not asking:
        return True
    asked = [unicodedata.normalize("NFKC", p).lower() for p in asking]
    if any(not eng.content(p) for p in asking):  # "Is it possible?": refers to the sentence before
        return True
    return any(parsing.dates(p, today) or parsing.months(p, today) for p in asked)


def outside_context(eng: "Engine", question: str) -> str | None:
    """"We did BSCI before; now our customer wants ETP: how much is the ETP registration fee?":
    an out-of-scope name in a sentence that only gives context does not sink a question that
    names the program and asks about it. Returns the sentences to answer, or None (decline)."""
    v = eng.vocab
    oos = eng.messages.out_of_scope
    parts = sentences(eng, question)
    if len(parts) < 2:
        return None
    flagged = [p for p in parts if oos.search(normalise(p))]
    kept = [p for p in parts if p not in flagged]
    if not kept or any(v.asking.search(p) for p in flagged):
        return None
    asking = [p for p in kept if v.asking.search(p)]
    if not asking or not any(v.program.search(normalise(p)) for p in kept):
        return None
    if any(v.refers_back.search(normalise(p)) for p in asking):
        return None  # "…BSCI certificate, can you accept it instead of ETP audit?": about the other scheme
    return "，".join(kept) if has_cjk("".join(kept)) else ", ".join(kept)
