"""Loading the smaller data files: urgent words and emergency guidance (``safety.toml``), workers'
own questions (``workers.toml``), the engine's texts and thresholds (``messages.toml``) and the
lexicon's rewrites (``lexicon.toml``). Each is checked at load; a problem raises ``KnowledgeError``
naming the file and the table."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from knowledge.errors import KnowledgeError
from knowledge.loader import LANGS, FactResolver, read_toml
from knowledge.text import TermSet, normalise

MESSAGE_KEYS = ("not_sure", "suggest", "out_of_scope", "ambiguous", "empty", "validity_month",
                "validity_month_past", "reapply_month", "reapply_month_past", "unknown_detail")
# defaults of messages.toml [engine]
THRESHOLD = 0.40          # below: "not sure", topic null, handoff
AMBIGUITY_MARGIN = 0.02   # top two closer than this (and neither sure): ask which one
SAME_AREA_MARGIN = 0.008  # the same for two topics of one area
SURE = 0.80               # at or above this the top entry is taken even if the next is close
SUGGEST_FLOOR = 0.22      # candidates below this are not worth suggesting


@dataclass(frozen=True)
class Safety:
    urgent: dict[str, list[str]]      # normalised urgent words per language
    terms: TermSet                    # all of them, for searching
    emergency: dict[str, str]         # the emergency guidance per language
    title: dict[str, str]
    source: str


@dataclass(frozen=True)
class Workers:
    answer: dict[str, str]            # the Worker Helpline answer per language
    title: dict[str, str]
    source: str
    factory: TermSet                  # words that keep a question factory-facing
    followup: TermSet                 # a reporter asking about what they sent
    families: tuple[tuple[str, TermSet, TermSet], ...]  # (name, subject words, trouble words)

    def only_subjects(self, terms: list[str]) -> bool:
        """All these terms are subjects of workers' questions (社保, 工伤 …)."""
        return bool(terms) and all(any(s.search(t) == t for _, s, _ in self.families) for t in terms)

    def trouble(self, norm: str, *, factory_questions: bool = True) -> str | None:
        """The family of a worker's own question in a normalised text, or None."""
        if not norm or (factory_questions and self.factory.search(norm)):
            return None
        for name, subject, trouble in self.families:
            if subject.search(norm) and trouble.search(norm):
                return name
        return None


@dataclass(frozen=True)
class Decline:
    """A near-domain subject (``[[decline]]``): its words and the decline that says what the bot can
    do instead."""
    name: str
    terms: TermSet
    text: dict[str, str]


@dataclass(frozen=True)
class Messages:
    texts: dict[str, dict[str, str]]  # key → lang → text ({$slots} left for answer time)
    threshold: float
    ambiguity_margin: float
    same_area_margin: float
    sure: float
    suggest_floor: float
    out_of_scope: TermSet             # [out_of_scope_terms] and the [[decline]] groups' terms
    declines: tuple[Decline, ...] = ()

    def decline_for(self, norm: str) -> Decline | None:
        """The first near-domain group a normalised question names."""
        return next((d for d in self.declines if d.terms.search(norm)), None)


def load_safety(path: Path, resolver: FactResolver) -> Safety:
    raw = read_toml(path)
    file = str(path)
    urgent = raw.get("urgent")
    emergency = raw.get("emergency")
    if not isinstance(urgent, dict) or not isinstance(emergency, dict):
        raise KnowledgeError(file, None, "needs [urgent] and [emergency] tables")
    words: dict[str, list[str]] = {}
    texts: dict[str, str] = {}
    for lang in LANGS:
        got = urgent.get(lang)
        if not isinstance(got, list) or not got:
            raise KnowledgeError(file, "urgent", f"missing {lang!r} word list")
        words[lang] = [normalise(w) for w in got if normalise(w)]
        text = emergency.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise KnowledgeError(file, "emergency", f"missing {lang!r} translation")
        texts[lang] = resolver.resolve(text.strip(), file, "emergency")
    return Safety(
        urgent=words, terms=TermSet([w for lang in LANGS for w in words[lang]]), emergency=texts,
        title={"en": str(emergency.get("title_en") or "Emergency help"),
               "zh": str(emergency.get("title_zh") or "紧急求助")},
        source=str(emergency.get("source") or "safety.toml"))


def load_workers(path: Path, resolver: FactResolver) -> Workers:
    raw = read_toml(path)
    file = str(path)
    answer, factory, families = raw.get("answer"), raw.get("factory"), raw.get("family")
    if not isinstance(answer, dict) or not isinstance(factory, dict) or not isinstance(families, list) \
            or not families:
        raise KnowledgeError(file, None, "needs [answer], [factory] and [[family]] tables")
    texts: dict[str, str] = {}
    titles: dict[str, str] = {}
    for lang in LANGS:
        text, title = answer.get(lang), answer.get(f"title_{lang}")
        if not isinstance(text, str) or not text.strip() or not isinstance(title, str) or not title.strip():
            raise KnowledgeError(file, "answer", f"missing {lang!r} translation")
        texts[lang] = resolver.resolve(text.strip(), file, "answer")
        titles[lang] = title.strip()
    if not answer.get("source"):
        raise KnowledgeError(file, "answer", "missing 'source'")
    followup = raw.get("followup", {})
    fams: list[tuple[str, TermSet, TermSet]] = []
    for i, fam in enumerate(families):
        name = fam.get("name") if isinstance(fam, dict) else None
        if not isinstance(name, str) or not name:
            raise KnowledgeError(file, f"family[{i}]", "missing 'name'")
        lists = {}
        for part in ("subject", "trouble"):
            words = [str(w) for lang in LANGS for w in fam.get(f"{part}_{lang}", [])]
            if not all(fam.get(f"{part}_{lang}") for lang in LANGS):
                raise KnowledgeError(file, name, f"missing {part} words in a language")
            lists[part] = TermSet(words)
        fams.append((name, lists["subject"], lists["trouble"]))
    return Workers(
        answer=texts, title=titles, source=str(answer["source"]),
        factory=TermSet([str(w) for lang in LANGS for w in factory.get(lang, [])]),
        followup=TermSet([str(w) for lang in LANGS for w in followup.get(lang, [])]), families=tuple(fams))


def load_messages(path: Path, resolver: FactResolver) -> Messages:
    raw = read_toml(path)
    file = str(path)
    texts: dict[str, dict[str, str]] = {}
    for key in MESSAGE_KEYS:
        table = raw.get(key)
        if not isinstance(table, dict):
            raise KnowledgeError(file, key, "message is missing")
        for lang in LANGS:
            if not isinstance(table.get(lang), str) or not table[lang].strip():
                raise KnowledgeError(file, key, f"missing {lang!r} translation")
        texts[key] = {lang: resolver.resolve(table[lang], file, key) for lang in LANGS}
    eng = raw.get("engine", {})
    if not isinstance(eng, dict):
        raise KnowledgeError(file, "engine", "must be a table")
    terms = raw.get("out_of_scope_terms", {})
    declines, group_terms = _declines(raw.get("decline", []), resolver, file)
    return Messages(
        texts=texts, threshold=_unit(eng, "threshold", THRESHOLD, file),
        ambiguity_margin=_unit(eng, "ambiguity_margin", AMBIGUITY_MARGIN, file),
        same_area_margin=_unit(eng, "same_area_margin", SAME_AREA_MARGIN, file),
        sure=_unit(eng, "sure", SURE, file), suggest_floor=_unit(eng, "suggest_floor", SUGGEST_FLOOR, file),
        out_of_scope=TermSet([w for lang in LANGS for w in terms.get(lang, [])] + group_terms), declines=declines)


def _declines(raw: object, resolver: FactResolver, file: str) -> tuple[tuple[Decline, ...], list[str]]:
    if not isinstance(raw, list):
        raise KnowledgeError(file, "decline", "must be [[decline]] tables")
    out, every = [], []
    for i, d in enumerate(raw):
        name = d.get("name") if isinstance(d, dict) else None
        if not isinstance(name, str) or not name:
            raise KnowledgeError(file, f"decline[{i}]", "missing 'name'")
        words = []
        for lang in LANGS:
            got = d.get(f"terms_{lang}")
            if not isinstance(got, list) or not got or not all(isinstance(w, str) and w.strip() for w in got):
                raise KnowledgeError(file, name, f"'terms_{lang}' must be a non-empty list of words")
            words += got
            if not isinstance(d.get(lang), str) or not d[lang].strip():
                raise KnowledgeError(file, name, f"missing {lang!r} translation")
        out.append(Decline(name, TermSet(words), {lang: resolver.resolve(d[lang].strip(), file, name) for lang in LANGS}))
        every += words
    return tuple(out), every


def load_lexicon(path: Path) -> list[tuple[re.Pattern[str], str]]:
    raw = read_toml(path)
    out = []
    for i, r in enumerate(raw.get("rewrite", [])):
        try:
            # normalise() puts a space between Latin letters and Chinese characters, so \b works
            # for "PV什么时候" (Python counts both as \w)
            out.append((re.compile(str(r["pattern"])), str(r["to"])))
        except (KeyError, re.error) as exc:
            raise KnowledgeError(str(path), f"rewrite[{i}]", f"bad rewrite: {exc}") from None
    return out


def _unit(table: dict, key: str, default: float, file: str) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise KnowledgeError(file, "engine", f"{key!r} must be a number between 0 and 1")
    return float(value)
