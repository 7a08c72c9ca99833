"""Ranking entries against a question: TF-IDF cosine on each paraphrase plus query coverage.

score(entry) = W_COS * max cosine(question, one of the entry's texts)
             + W_COV * share of the question's (IDF-weighted) features that the entry knows at all.
The coverage term is what makes out-of-scope questions score low: their words are unknown.
English words missing from the vocabulary are corrected to the nearest known word with rapidfuzz
(typo tolerance); unknown Chinese character bigrams are ignored (they are mostly word boundaries),
unknown Chinese characters count against coverage.
"""
from __future__ import annotations

import functools
import math
import re

from knowledge.model import Entry
from knowledge.text import EN_STOP, Rewriter, features, normalise

_EN_WORD_RE = re.compile(r"(?<![a-z0-9])[a-z]{4,}(?![a-z0-9])")

TYPE_WEIGHT = {"w": 1.0, "b": 0.7, "c": 0.35, "z": 1.0}
W_COS, W_COV = 0.55, 0.45
NO_ANCHOR = 0.8


class Matcher:
    def __init__(self, entries: list[Entry], rewrites: list[tuple[re.Pattern[str], str]]):
        self.entries = entries
        self.rewrite = Rewriter(rewrites)
        self._prepared: dict[str, str] = {}
        raw_words: set[str] = set()
        for e in entries:
            for t in [e.title["en"], *e.paraphrases["en"], *e.keywords["en"], e.answer["en"]]:
                raw_words.update(w for w in _EN_WORD_RE.findall(normalise(t, simplify=False)) if len(w) >= 4)
        self.raw_vocab = raw_words
        self.raw_vocab_list = sorted(raw_words)
        doc_entry: list[int] = []
        doc_feats: list[dict[str, float]] = []
        entry_feats: list[set[str]] = []
        for i, e in enumerate(entries):
            texts = [e.title["en"], e.title["zh"], *e.paraphrases["en"], *e.paraphrases["zh"],
                     *e.keywords["en"], *e.keywords["zh"]]
            union: set[str] = set()
            for t in texts:
                f = features(self.prepare(t))
                if not f:
                    continue
                doc_entry.append(i)
                doc_feats.append(f)
                union.update(f)
            entry_feats.append(union)
        # Chinese bigrams that occur inside curated words (titles, keywords) are real words; other
        # bigrams are often word boundaries ("书还", "交什") and count half.
        curated: set[str] = set()
        for e in entries:
            for t in [e.title["zh"], *e.keywords["zh"]]:
                curated.update(k for k in features(self.prepare(t)) if k[0] == "z")
        self.curated = curated
        # an entry's "anchors": the words of its titles and keywords. A question that shares none of
        # them matched only incidental words of some paraphrase ("our order is late" ~ "order of the audit").
        self.anchors: list[set[str]] = []
        for e in entries:
            a: set[str] = set()
            for t in [e.title["en"], e.title["zh"], *e.keywords["en"], *e.keywords["zh"]]:
                a.update(k for k in features(self.prepare(t)) if k[0] != "c")
            self.anchors.append(a)
        n = len(entries)
        df: dict[str, int] = {}
        for u in entry_feats:
            for f in u:
                df[f] = df.get(f, 0) + 1
        self.idf = {f: math.log(1.0 + n / c) for f, c in df.items()}
        self.idf_unknown = math.log(1.0 + n / 0.5)
        self.entry_feats = entry_feats
        self.entry_postings: dict[str, list[int]] = {}
        for e, u in enumerate(entry_feats):
            for f in u:
                self.entry_postings.setdefault(f, []).append(e)
        self.anchor_postings: dict[str, set[int]] = {}
        for e, a in enumerate(self.anchors):
            for f in a:
                self.anchor_postings.setdefault(f, set()).add(e)
        self.doc_entry = doc_entry
        self.postings: dict[str, list[tuple[int, float]]] = {}
        self.doc_norm: list[float] = []
        for d, f in enumerate(doc_feats):
            sq = 0.0
            for k in f:
                if k[0] == "c":
                    continue  # single characters: coverage only (long postings, little evidence)
                w = self.weight(k, self.idf[k])
                sq += w * w
                self.postings.setdefault(k, []).append((d, w))
            self.doc_norm.append(math.sqrt(sq) or 1.0)
        self.vocab_words = sorted({k[2:] for k in self.idf if k.startswith("w:") and len(k) > 5})

    def weight(self, feature: str, idf: float) -> float:
        w = idf * TYPE_WEIGHT[feature[0]]
        if feature[0] == "z" and feature not in self.curated:
            w *= 0.5
        return w

    def prepare(self, text: str) -> str:
        """Normalised and rewritten text of the knowledge base (already Simplified Chinese)."""
        out = self._prepared.get(text)
        if out is None:
            out = self._prepared[text] = self.rewrite(normalise(text, simplify=False))
        return out

    def prepare_query(self, text: str) -> str:
        """Like prepare(), but misspelt English words are first corrected to known words.
        Cached: a long message's sentences and clauses are prepared more than once."""
        return self._prepare_query(text)

    @functools.lru_cache(maxsize=4096)
    def _prepare_query(self, text: str) -> str:
        norm = normalise(text)
        if _EN_WORD_RE.search(norm):
            norm = _EN_WORD_RE.sub(lambda m: self._spell(m.group(0)), norm)
        return self.rewrite(norm)

    @functools.lru_cache(maxsize=8192)
    def _spell(self, word: str) -> str:
        if len(word) < 4 or word in self.raw_vocab or word in EN_STOP:
            return word
        from rapidfuzz import fuzz, process

        cutoff = 80 if len(word) >= 7 else 86
        hit = process.extractOne(word, self.raw_vocab_list, scorer=fuzz.ratio, score_cutoff=cutoff)
        return hit[0] if hit else word

    @functools.lru_cache(maxsize=4096)
    def _correct(self, word: str) -> str | None:
        if len(word) < 4 or word.isdigit():
            return None
        from rapidfuzz import fuzz, process  # lazily: most questions need no spelling correction

        cutoff = 80 if len(word) >= 7 else 86
        hit = process.extractOne(word, self.vocab_words, scorer=fuzz.ratio, score_cutoff=cutoff)
        return hit[0] if hit else None

    @functools.lru_cache(maxsize=4096)
    def query_weights(self, prepared: str) -> tuple[dict[str, float], float, float]:
        """Known features with weights, the query norm and the coverage denominator (cached: the
        dict is shared, read it only)."""
        known: dict[str, float] = {}
        norm_sq = 0.0
        denom = 0.0
        for k in features(prepared):
            kind = k[0]
            idf = self.idf.get(k)
            if idf is None and kind == "w":
                fixed = self._correct(k[2:])
                if fixed is not None:
                    k, idf = "w:" + fixed, self.idf["w:" + fixed] * 0.9
            if idf is None:
                if kind in ("z", "b"):
                    continue  # unknown bigrams: mostly word boundaries, not evidence either way
                w = self.weight(k, self.idf_unknown)
                if kind != "c":
                    norm_sq += w * w
                denom += w
                continue
            w = self.weight(k, idf)
            known[k] = max(known.get(k, 0.0), w)
            if kind != "c":  # characters count for coverage, not for the cosine
                norm_sq += w * w
            denom += w
        return known, math.sqrt(norm_sq), denom

    def rank(self, prepared: str) -> list[tuple[float, int]]:
        """(score, entry index) best first; scores in [0, 1]. A fresh list (callers may reorder it)."""
        return list(self._rank(prepared))

    @functools.lru_cache(maxsize=4096)
    def _rank(self, prepared: str) -> tuple[tuple[float, int], ...]:
        known, qnorm, denom = self.query_weights(prepared)
        if not known or denom <= 0 or qnorm <= 0:
            return ()
        acc: dict[int, float] = {}
        cov: dict[int, float] = {}
        anchored: set[int] = set()
        for k, wq in known.items():
            for d, wd in self.postings.get(k, ()):
                acc[d] = acc.get(d, 0.0) + wq * wd
            for e in self.entry_postings.get(k, ()):
                cov[e] = cov.get(e, 0.0) + wq
            anchored.update(self.anchor_postings.get(k, ()))
        best_cos: dict[int, float] = {}
        for d, dot in acc.items():
            c = dot / (qnorm * self.doc_norm[d])
            e = self.doc_entry[d]
            if c > best_cos.get(e, 0.0):
                best_cos[e] = c
        out = []
        for e, c in best_cos.items():
            score = W_COS * c + W_COV * cov.get(e, 0.0) / denom
            if c < 0.95 and e not in anchored:
                score *= NO_ANCHOR
            out.append((min(1.0, score), e))
        out.sort(key=lambda x: -x[0])
        return tuple(out)
