"""The public API: ``KnowledgeBase`` loads a data directory and answers questions.

Loading is in ``loader``/``sections``/``vocabulary``, the ordered answering rules in ``rules`` (run by
``answering.Engine``), the computed answers in ``compute``; this class ties them together.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from knowledge.answering import Engine
from knowledge.compute import Calculator
from knowledge.loader import LANGS, FactResolver, build_calendar, build_entries, build_facts, data_files, read_toml
from knowledge.matcher import Matcher
from knowledge.model import EMERGENCY_TOPIC, Answer, BlackoutWindow, Entry, Suggestion
from knowledge.sections import load_lexicon, load_messages, load_safety, load_workers
from knowledge.text import detect_lang, is_traditional, normalise, to_traditional
from knowledge.vocabulary import load_vocabulary


class KnowledgeBase:
    """A loaded, validated knowledge base; thread-safe for reading."""

    def __init__(self, path: Path, override: Path | None = None):
        self.path = Path(path)
        files, entry_files = data_files(self.path, override)
        facts_raw = read_toml(files["facts.toml"])
        self.facts = build_facts(facts_raw, str(files["facts.toml"]))
        resolver = FactResolver(facts_raw)
        self.blackouts, self.helpline_closures = build_calendar(
            read_toml(files["calendar.toml"]), str(files["calendar.toml"]))
        self.safety = load_safety(files["safety.toml"], resolver)
        self.workers = load_workers(files["workers.toml"], resolver)
        messages = load_messages(files["messages.toml"], resolver)
        vocab = load_vocabulary(files["vocabulary.toml"])
        self.entries: list[Entry] = build_entries(entry_files, resolver)
        self.by_id: dict[str, Entry] = {e.id: e for e in self.entries}
        # the emergency answer is a topic too (answer_topic, by_id), but never matched or listed
        self.by_id[EMERGENCY_TOPIC] = Entry(
            id=EMERGENCY_TOPIC, file=str(files["safety.toml"]), title=dict(self.safety.title),
            answer=dict(self.safety.emergency), paraphrases={lang: [] for lang in LANGS},
            keywords={lang: [] for lang in LANGS}, source=self.safety.source, hidden=True, handoff=True)
        self.matcher = Matcher(self.entries, load_lexicon(files["lexicon.toml"]))
        self.engine = Engine(self.entries, self.by_id, self.matcher, messages, vocab,
                             Calculator(self.facts, self.blackouts, messages.texts), self.safety, self.workers)
        self.threshold = messages.threshold

    @classmethod
    def from_dir(cls, path: str | os.PathLike[str], override: str | os.PathLike[str] | None = None
                 ) -> "KnowledgeBase":
        return cls(Path(path), Path(override) if override else None)

    load = from_dir

    # ------------------------------------------------------------------ answering
    def answer(self, question: str, *, lang: str | None = None, today: dt.date | None = None) -> Answer:
        """The answer to a free-text question; ``lang=None``: the language of the question;
        ``today=None``: ``date.today()`` (for computed dates)."""
        question = question or ""
        out_lang = lang if lang in LANGS else detect_lang(question)
        ans = self.engine.answer(question, out_lang, today or dt.date.today())
        return self._script(ans, is_traditional(question))

    def answer_topic(self, topic: str, *, lang: str, today: dt.date | None = None,
                     script: str = "simplified") -> Answer:
        """A topic's answer (the user picked a suggestion or a menu entry)."""
        if topic not in self.by_id:
            raise KeyError(topic)
        lang = lang if lang in LANGS else "en"
        ans = self.engine.render(self.by_id[topic], lang, today or dt.date.today(), {}, 1.0)
        return self._script(ans, script == "traditional")

    @staticmethod
    def _script(ans: Answer, traditional: bool) -> Answer:
        if traditional and ans.lang == "zh":
            ans.answer = to_traditional(ans.answer)
            ans.suggestions = [Suggestion(s.topic, to_traditional(s.title)) for s in ans.suggestions]
        return ans

    # ------------------------------------------------------------------ small API
    def topics(self, lang: str) -> list[Suggestion]:
        """The browsable FAQ list: entries with a ``menu`` position first, in that order."""
        ordered = sorted((e for e in self.entries if not (e.hidden or e.declines)), key=lambda e: e.menu)
        return [Suggestion(e.id, e.title[lang]) for e in ordered]

    def title(self, topic: str, lang: str) -> str:
        return self.by_id[topic].title[lang]

    def blackout_for(self, day: dt.date) -> BlackoutWindow | None:
        return self.engine.calc.blackout_for(day)

    def helpline_closed_on(self, day: dt.date) -> bool:
        return any(c.start <= day <= c.end for c in self.helpline_closures)

    def urgent_terms(self, lang: str) -> list[str]:
        return list(self.safety.urgent[lang])

    def is_urgent(self, text: str) -> bool:
        return bool(text) and self.safety.terms.search(normalise(text)) is not None

    def emergency_text(self, lang: str) -> str:
        return self.safety.emergency[lang]

    def worker_trouble(self, text: str, *, factory_questions: bool = True) -> str | None:
        """The family (wages, contract, hours, treatment, dormitory, health, feelings) of a worker
        writing about their own job or life, or None. With ``factory_questions`` (the default) a
        message naming the audit, its criteria or the program is not one ("is late wage payment a
        major or critical non-compliance?"); without, any message written like a worker's
        complaint is (what must never be kept as an unanswered question)."""
        return self.workers.trouble(normalise(text or ""), factory_questions=factory_questions)

    def is_reporter_followup(self, text: str) -> bool:
        """Written like a reporter asking about what they sent ("any news about my complaint?",
        "有人回复我了吗"): words staff must not read on the unanswered-questions page."""
        norm = normalise(text or "")
        return bool(norm) and self.workers.followup.search(norm) is not None

    def worker_helpline_text(self, lang: str) -> str:
        return self.workers.answer[lang if lang in LANGS else "en"]
