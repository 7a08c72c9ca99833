"""Every entry is found by each of its own paraphrases, in both languages (generated from the data)."""
from __future__ import annotations

import pytest

import knowledge
from knowledge.text import features, has_cjk

_KB = knowledge.load_default()
CASES = [(e.id, lang, p) for e in _KB.entries for lang in ("en", "zh") for p in e.paraphrases[lang]]


@pytest.mark.parametrize("topic,lang,question", CASES, ids=[f"{t}-{lang_}-{i}" for i, (t, lang_, _) in enumerate(CASES)])
def test_paraphrase_finds_its_entry(kb, topic, lang, question):
    a = kb.answer(question)
    if kb.by_id[topic].declines:  # found, but answered as a decline: topic null, a person offered
        assert a.topic is None and a.handoff and a.answer == kb.by_id[topic].answer[a.lang], question
        return
    assert a.topic == topic, f"{question!r} -> {a.topic} ({a.confidence}); suggestions {a.suggestions}"
    if lang == "zh" and has_cjk(question):
        assert a.lang == "zh"
    assert a.source


@pytest.mark.parametrize("topic", [e.id for e in _KB.entries])
def test_entry_title_finds_entry(kb, topic):
    for lang in ("en", "zh"):
        a = kb.answer(kb.by_id[topic].title[lang])
        if kb.by_id[topic].declines:
            assert a.topic is None and a.answer == kb.by_id[topic].answer[lang], (lang, a.answer)
            continue
        assert a.topic == topic or topic in [s.topic for s in a.suggestions], (lang, a.topic)


def test_no_two_entries_share_a_text(kb):
    """A paraphrase or keyword with exactly the features of another entry's text makes a tie."""
    seen: dict[frozenset, tuple[str, str]] = {}
    clashes = []
    for e in kb.entries:
        for lang in ("en", "zh"):
            for t in [*e.paraphrases[lang], *e.keywords[lang]]:
                f = frozenset(features(kb.matcher.prepare(t)))
                assert f, f"{e.file}: entry {e.id!r}: {t!r} has no matchable words"
                other = seen.setdefault(f, (e.id, t))
                if other[0] != e.id:
                    clashes.append(f"{e.id}: {t!r} == {other[0]}: {other[1]!r}")
    assert not clashes, "\n".join(clashes)


def test_chinese_texts_are_simplified(kb):
    """The engine skips OpenCC for the knowledge base's own texts, so they must be Simplified."""
    from knowledge.text import to_simplified

    bad = []
    for e in kb.entries:
        for t in [e.title["zh"], e.answer["zh"], *e.paraphrases["zh"], *e.keywords["zh"],
                  *(tpl["zh"] for tpl in e.templates.values())]:
            if to_simplified(t) != t:
                bad.append((e.id, t))
    # paraphrases may deliberately be Traditional (users write it): only answers/titles must not be
    bad = [(i, t) for i, t in bad if t in (kb.by_id[i].answer["zh"], kb.by_id[i].title["zh"])
           or any(t == tpl["zh"] for tpl in kb.by_id[i].templates.values())]
    assert not bad, bad


def test_traditional_paraphrases_still_match(kb):
    """Traditional paraphrases in the data are matched after conversion of the question."""
    from knowledge.text import is_traditional

    for e in kb.entries:
        for p in e.paraphrases["zh"]:
            if is_traditional(p):
                assert kb.answer(p).topic == (None if e.declines else e.id), p
