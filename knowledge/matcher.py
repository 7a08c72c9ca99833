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

from rapidfuzz import fuzz, process

from .model import Entry
from .text import apply_replacements, features, normalise

TYPE_WEIGHT = {"w": 1.0, "b": 0.7, "c": 0.35, "z": 1.0}
W_COS, W_COV = 0.55, 0.45


class Matcher:
    def __init__(self, entries: list[Entry], rewrites: list[tuple[re.Pattern[str], str]]):
        self.entries = entries
        self.rewrites = rewrites
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
        n = len(entries)
        df: dict[str, int] = {}
        for u in entry_feats:
            for f in u:
                df[f] = df.get(f, 0) + 1
        self.idf = {f: math.log(1.0 + n / c) for f, c in df.items()}
        self.idf_unknown = math.log(1.0 + n / 0.5)
        self.entry_feats = entry_feats
        self.doc_entry = doc_entry
        self.postings: dict[str, list[tuple[int, float]]] = {}
        self.doc_norm: list[float] = []
        for d, f in enumerate(doc_feats):
            sq = 0.0
            for k in f:
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
        return apply_replacements(normalise(text), self.rewrites)

    @functools.lru_cache(maxsize=4096)
    def _correct(self, word: str) -> str | None:
        if len(word) < 4 or word.isdigit():
            return None
        cutoff = 80 if len(word) >= 7 else 86
        hit = process.extractOne(word, self.vocab_words, scorer=fuzz.ratio, score_cutoff=cutoff)
        return hit[0] if hit else None

    def query_weights(self, prepared: str) -> tuple[dict[str, float], float, float]:
        """Known features with weights, the query norm and the coverage denominator."""
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
                norm_sq += w * w
                denom += w
                continue
            w = self.weight(k, idf)
            known[k] = max(known.get(k, 0.0), w)
            norm_sq += w * w
            denom += w
        return known, math.sqrt(norm_sq), denom

    def rank(self, prepared: str) -> list[tuple[float, int]]:
        """(score, entry index) best first; scores in [0, 1]."""
        known, qnorm, denom = self.query_weights(prepared)
        if not known or denom <= 0:
            return []
        acc: dict[int, float] = {}
        for k, wq in known.items():
            for d, wd in self.postings.get(k, ()):
                acc[d] = acc.get(d, 0.0) + wq * wd
        best_cos: dict[int, float] = {}
        for d, dot in acc.items():
            c = dot / (qnorm * self.doc_norm[d])
            e = self.doc_entry[d]
            if c > best_cos.get(e, 0.0):
                best_cos[e] = c
        out = []
        for e, c in best_cos.items():
            feats = self.entry_feats[e]
            cov = sum(w for k, w in known.items() if k in feats) / denom
            out.append((min(1.0, W_COS * c + W_COV * cov), e))
        out.sort(key=lambda x: -x[0])
        return out
