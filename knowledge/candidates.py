"""Adjusting and reading the ranked candidates of a question: a named status lifted, a fee named by
its figure, an area's overview, two topics asked together, signs of another subject."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from knowledge.model import Answer, Entry
from knowledge.sections import SUGGEST_FLOOR
from knowledge.text import ZH_STOP, features, has_cjk

if TYPE_CHECKING:
    import datetime as dt

    from knowledge.answering import Engine

Ranking = list[tuple[float, int]]

STATUS_BOOST = 0.25        # a named status with validity words ('how long is probation')
STATUS_NAMED_BOOST = 0.05  # a named status alone
AREA_OVERVIEWS = {"fees", "status"}  # areas whose overview gives every figure of the area
AREA_FLOOR = 0.36  # "not sure" from here down; above it, three candidates of one area get its overview
_CJK_SPACE_RE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def boost_status(eng: "Engine", norm: str, ranking: Ranking) -> Ranking:
    """'How long does remediation last?': a named status plus validity words means that status."""
    v = eng.vocab
    status = v.status_in(norm)
    if status == "certified" and v.validity.search(norm):
        # "证书多久有效": among close candidates (the certificate fee, getting the certificate)
        # the validity of Certified status is meant
        idx = next((i for i, e in enumerate(eng.entries) if e.id == "status.certified"), None)
        if ranking and any(i == idx for _, i in ranking[:3]) and ranking[0][0] < eng.sure:
            out = [(min(1.0, s + STATUS_NAMED_BOOST) if i == idx else s, i) for s, i in ranking]
            return sorted(out, key=lambda x: -x[0])
        return ranking
    if status in (None, "certified"):
        return ranking
    if v.validity.search(norm) or v.next_step.search(norm):
        boost = STATUS_BOOST
    elif status != "remediation":  # "remediation" is also the programme, not only the status
        boost = STATUS_NAMED_BOOST
    else:
        return ranking
    idx = next((i for i, e in enumerate(eng.entries) if e.id == f"status.{status}"), None)
    generic = eng.area(ranking[0][1]) in ("status", "steps") if ranking else False
    if idx is None or (ranking and ranking[0][0] >= eng.sure and ranking[0][1] != idx
                       and not (boost == STATUS_BOOST and generic)):
        return ranking  # another topic matched outright ("how to get from assessed to certified")
    top = ranking[0][0] if ranking else 0.0
    if boost == STATUS_BOOST:
        # "we're Assessed, how long does that last?": the named status decides, whatever else
        # the message's story matched
        lift = max(boost + eng.threshold, min(1.0, top + 0.05))
        out = [(max(min(1.0, s + boost), lift) if i == idx else s, i) for s, i in ranking]
        if idx not in {i for _, i in ranking}:
            out.append((lift, idx))
    else:
        out = [(min(1.0, s + boost) if i == idx else s, i) for s, i in ranking]
    out.sort(key=lambda x: -x[0])
    return out


def fee_named(eng: "Engine", norm: str, ranking: Ranking) -> Entry | None:
    """"Is the certification fee 800 dollars?", "can we get the certificate without paying the 800?":
    a fee's own figure names that fee, when the words alone leave it unsure or among the top three."""
    if not eng.vocab.money.search(norm) or eng.vocab.fee_detail.search(norm):
        return None  # "we have 800 workers": a figure, but not money; "500 含税吗": not the fee itself
    f = eng.calc.facts.fees
    by_figure = {f.registration_usd: "fees.registration", f.certification_usd: "fees.certification",
                 f.audit_per_man_day_usd: "fees.audit"}
    hits = {by_figure[int(n)] for n in re.findall(r"(?<![\d.])(\d{3,4})(?![\d.])", norm) if int(n) in by_figure}
    if len(hits) != 1 or (topic := hits.pop()) not in eng.by_id:
        return None
    entry = eng.by_id[topic]
    top = [eng.entries[i].id for _, i in ranking[:3]]
    unsure = not ranking or ranking[0][0] < eng.threshold or (
        len(ranking) > 1 and ranking[0][0] - ranking[1][0] < eng.ambiguity_margin)
    return entry if unsure and (topic in top or not ranking or ranking[0][0] < eng.threshold) else None


def area_overview(eng: "Engine", ranking: Ranking) -> Entry | None:
    """Not sure which fee, but sure it is about fees: the top three candidates are all of one area
    ("…the system asks us to pay. How much is it?") whose overview gives all its figures."""
    top = ranking[:3]
    if len(top) < 3 or top[0][0] < AREA_FLOOR or top[-1][0] < SUGGEST_FLOOR:
        return None
    areas = {eng.area(i) for _, i in top}
    if len(areas) != 1 or not areas <= AREA_OVERVIEWS:
        return None
    return eng.by_id.get(f"{areas.pop()}.overview")


def both(eng: "Engine", question: str, lang: str, today: "dt.date", ranking: Ranking) -> Answer | None:
    """"工人热线和服务台电话分别是多少": one question about two things (分别, both, respectively)
    gets the two close topics it matches."""
    if len(ranking) < 2 or not eng.vocab.both.search(question):
        return None
    (s1, i1), (s2, i2) = ranking[:2]
    if s2 < max(eng.threshold, s1 - 0.15) or eng.entries[i2].declines or eng.entries[i1].declines:
        return None
    a1 = eng.render(eng.entries[i1], lang, today, {}, s1)
    a2 = eng.render(eng.entries[i2], lang, today, {}, s2)
    return Answer(f"{a1.answer} {a2.answer}", a1.topic, round(s2, 3), lang, a1.handoff or a2.handoff,
                  [], f"{a1.source}; {a2.source}")


def only_price_words(eng: "Engine", prepared: str) -> bool:
    return eng.cached(_only_price_words, prepared)


def _only_price_words(eng: "Engine", prepared: str) -> bool:
    """"吹塑机多少钱一台", "东莞到深圳的高铁多少钱": the only words the knowledge base knows ask
    "how much", and the rest (the thing priced) is Chinese it has never seen: another subject.
    Unknown Chinese words are otherwise invisible (unknown bigrams look like word boundaries)."""
    if not has_cjk(prepared):
        return False
    price = eng.vocab.price_features
    feats = features(prepared)
    known = [k for k in feats if k[0] in "wzb" and k in eng.matcher.idf]
    price_chars = {ch for k in price if k.startswith("z:") for ch in k[2:]}

    def pricey(k: str) -> bool:
        return k in price or (k[0] == "z" and all(ch in price_chars or ch in ZH_STOP for ch in k[2:]))

    if not known or not all(pricey(k) for k in known):
        return False
    other = [k for k in feats if k[0] == "c" and k[2:] not in price_chars]
    return len(other) >= 2


def foreign_share(eng: "Engine", prepared: str) -> float:
    """Share of a one-sentence Chinese question's character bigrams that no entry uses."""
    if len([p for p in eng.vocab.sentence.split(_CJK_SPACE_RE.sub("。", prepared)) if p.strip()]) > 1:
        return 0.0  # a story around the question: its own words are expected to be unknown
    z = [k for k in features(prepared) if k[0] == "z"]
    return sum(1 for k in z if k not in eng.matcher.idf) / len(z) if len(z) >= 4 else 0.0
