"""The answering engine: one question through the ordered rules of ``knowledge.rules``.

The engine holds what the rules share (entries, the matcher, thresholds, texts, vocabulary, the
calculator) and the few ways they build an answer (an entry rendered, "not sure", an engine text).
"""
from __future__ import annotations

import datetime as dt

from knowledge.compute import Calculator, fill
from knowledge.matcher import Matcher
from knowledge.model import EMERGENCY_TOPIC, WORKER_TOPIC, Answer, Entry, Suggestion
from knowledge.question import Question
from knowledge.sections import Messages, Safety, Workers
from knowledge.vocabulary import Vocabulary

__all__ = ["EMERGENCY_TOPIC", "WORKER_TOPIC", "Engine"]
_MISSING = object()


class Engine:
    def __init__(self, entries: list[Entry], by_id: dict[str, Entry], matcher: Matcher, messages: Messages,
                 vocab: Vocabulary, calc: Calculator, safety: Safety, workers: Workers):
        self.entries = entries
        self.by_id = by_id
        self.matcher = matcher
        self.messages = messages
        self.vocab = vocab
        self.calc = calc
        self.safety = safety
        self.workers = workers
        self.threshold = messages.threshold
        self.ambiguity_margin = messages.ambiguity_margin
        self.same_area_margin = messages.same_area_margin
        self.sure = messages.sure
        self.suggest_floor = messages.suggest_floor
        from knowledge.rules import RULES  # the rules read the engine: imported here, once

        self.rules = RULES
        self._cache: dict = {}

    def answer(self, text: str, lang: str, today: dt.date, split: bool = True) -> Answer:
        """The first answer a rule gives, in the rules' order (the last rule always answers)."""
        q = Question(self, text, lang, today, split)
        for rule in self.rules:
            a = rule(self, q)
            if a is not None:
                return a
        raise AssertionError("the last rule answers every question")  # pragma: no cover

    def cached(self, fn, text: str):
        """``fn(self, text)``, remembered for the most recent texts (``fn`` must be pure)."""
        key = (fn, text)
        hit = self._cache.get(key, _MISSING)
        if hit is _MISSING:
            if len(self._cache) >= 8192:
                self._cache.clear()
            hit = self._cache[key] = fn(self, text)
        return hit

    # ------------------------------------------------------------------ building answers
    def render(self, entry: Entry, lang: str, today: dt.date, slots: dict, confidence: float) -> Answer:
        """The entry's answer (its computed text when the slots give one)."""
        text = (self.calc.render(entry, lang, today, slots) if entry.compute else None) or entry.answer[lang]
        if entry.declines:
            return Answer(text, None, round(min(1.0, max(0.0, confidence)), 3), lang, True, [], None)
        return Answer(text, entry.id, round(min(1.0, max(0.0, confidence)), 3), lang, entry.handoff, [],
                      entry.source)

    def msg(self, key: str, lang: str, **slots: str) -> str:
        """An engine text of ``messages.toml``."""
        return fill(self.messages.texts[key][lang], **slots)

    def decline(self, lang: str, norm: str = "") -> Answer:
        """Another subject than the program: topic null, a person offered, no facts; a near-domain
        subject's own decline (``[[decline]]``) when the question names one."""
        group = self.messages.decline_for(norm) if norm else None
        text = group.text[lang] if group else self.msg("out_of_scope", lang)
        return Answer(text, None, 0.0, lang, True)

    @staticmethod
    def join(titles: list[str], lang: str) -> str:
        if lang == "zh":
            return "、".join(f"“{t}”" for t in titles)
        if len(titles) <= 1:
            return "".join(f'"{t}"' for t in titles)
        return ", ".join(f'"{t}"' for t in titles[:-1]) + f' or "{titles[-1]}"'

    def not_sure(self, ranking: list[tuple[float, int]], lang: str) -> Answer:
        """"Not sure": topic null, a person offered, up to three suggestions."""
        sugg = [Suggestion(self.entries[i].id, self.entries[i].title[lang])
                for s, i in ranking[:3] if s >= self.suggest_floor and not self.entries[i].declines]
        suggest = self.msg("suggest", lang, list=self.join([s.title for s in sugg], lang)) if sugg else ""
        conf = ranking[0][0] if ranking else 0.0
        return Answer(self.msg("not_sure", lang, suggest=suggest), None, round(conf, 3), lang, True, sugg)

    def content(self, text: str) -> int:
        """How many words (or Chinese bigrams) of the text the knowledge base knows."""
        known, _, _ = self.matcher.query_weights(self.matcher.prepare_query(text))
        return len([k for k in known if k[0] in "wz"])

    def area(self, i: int) -> str:
        """The area of the entry at index ``i`` ("fees" for ``fees.audit``)."""
        return self.entries[i].id.split(".", 1)[0]
