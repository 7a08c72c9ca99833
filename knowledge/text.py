"""Text normalisation, language and script detection, and matching features.

Chinese is matched on character bigrams, with single characters for coverage (no word
segmentation: jieba's dictionary takes about a second to load, which would blow the start-up
budget of ``etp-bot ask``).
English is matched on lightly stemmed words and word bigrams.
"""
from __future__ import annotations

import functools
import re
import unicodedata

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_CJK_RE = re.compile(r"(?<=[a-z])(?=[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])|"
                           r"(?<=[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])(?=[a-z])")
_WORD_RE = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_PUNCT_RE = re.compile(r"[^\w\s\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff$@.+:/-]")

EN_STOP = frozenset(
    ["a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "to", "of", "in", "on", "for", "and", "or", "i", "we", "you", "he", "she", "they", "my", "our", "your", "their", "its", "it", "this", "that", "these", "those", "do", "does", "did", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "please", "me", "us", "them", "there", "any", "some", "with", "at", "by", "from", "about", "what", "how", "so", "if", "get", "got", "have", "has", "had", "just", "tell", "know", "want", "need", "hi", "hello", "hey", "thanks", "thank", "which", "whom", "whose", "am", "also", "as", "into", "than", "then", "too", "very", "let", "s", "t", "pls", "plz", "dear", "sir", "madam", "kindly", "regarding", "question", "ask", "asking", "like", "up", "out", "it's", "i'm", "we're", "our's", "one's", "whats", "what's", "wat", "whta", "hw", "abt", "u", "ur", "mch", "wht", "thx", "tks", "ok", "okay", "yes", "yeah", "yep", "nope", "no"]
)
# characters that carry no topic in Chinese questions (kept inside bigrams, dropped as unigrams)
ZH_STOP = frozenset("的了吗呢吧啊呀是我们你他她它在有和与及么什怎样这那个一请问能会可以就都也还到给对把哪些儿里吧嘛哦呗该")


@functools.lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC  # imported lazily: ~20 ms, only paid when Chinese is seen

    return OpenCC("t2s")


@functools.lru_cache(maxsize=1)
def _s2t():
    from opencc import OpenCC

    return OpenCC("s2hk")


def has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


@functools.lru_cache(maxsize=4096)
def to_simplified(text: str) -> str:
    if not has_cjk(text):
        return text
    return _t2s().convert(text)


@functools.lru_cache(maxsize=4096)
def to_traditional(text: str) -> str:
    """Simplified → Traditional (Hong Kong standard, OpenCC ``s2hk``), used consistently."""
    return _s2t().convert(text)


def is_traditional(text: str) -> bool:
    """True when the text is written in Traditional characters (converting it changes it)."""
    return has_cjk(text) and to_simplified(text) != text


def detect_lang(text: str, preferred: str | None = None) -> str:
    """The one language rule (the engine and the dialogue): 'zh' when the message's Chinese
    characters are at least as many as its Latin words ("PV什么时候来", "what is 注册费"); otherwise
    the contact's ``preferred`` language when there is one (a Chinese-speaking contact typing a
    reference or "PV" keeps Chinese), else 'en'."""
    cjk = len(_CJK_RE.findall(text))
    if cjk and cjk >= len(_LATIN_WORD_RE.findall(text)):
        return "zh"
    return preferred or "en"


_LATIN_WORD_RE = re.compile(r"[A-Za-z]{2,}")


def stem(word: str) -> str:
    w = word
    if len(w) <= 3 or w.isdigit():
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("sses"):
        return w[:-2]
    if w.endswith("es") and (w[:-2].endswith(("s", "x", "ch", "sh"))):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ing") and len(w) > 5:
        return w[:-3]
    if w.endswith("ed") and len(w) > 4:
        return w[:-2]
    return w


@functools.lru_cache(maxsize=8192)
def normalise(text: str, simplify: bool = True) -> str:
    """NFKC (full-width → half-width), lower case, Traditional → Simplified, tidy punctuation.

    ``simplify=False`` skips the OpenCC conversion, for the knowledge base's own texts, which are
    Simplified already (a test checks it); it keeps start-up fast.
    """
    t = unicodedata.normalize("NFKC", text).lower()
    if simplify:
        t = to_simplified(t)
    t = t.replace("’", "'").replace("‘", "'")
    t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", t)  # 1,500 -> 1500
    t = _PUNCT_RE.sub(" ", t)
    t = re.sub(r"(?<![0-9])[.:/](?![0-9])", " ", t)
    t = t.replace("-", " ").replace("_", " ")
    t = _LATIN_CJK_RE.sub(" ", t)  # "pv什么时候" -> "pv 什么时候": word boundaries for the rewrites
    return re.sub(r"\s+", " ", t).strip()


class Rewriter:
    """The lexicon's rewrites, applied in order; Latin-only and Chinese-only patterns are skipped
    for texts that cannot contain a match."""

    def __init__(self, rewrites: list[tuple[re.Pattern[str], str]]):
        self.rules = [(pat, rep, _pattern_kind(pat.pattern)) for pat, rep in rewrites]

    def __call__(self, text: str) -> str:
        latin = _LATIN_RE.search(text) is not None
        cjk = has_cjk(text)
        for pat, rep, kind in self.rules:
            if (kind == "latin" and not latin) or (kind == "cjk" and not cjk):
                continue
            text = pat.sub(rep, text)
        return text


_LATIN_RE = re.compile(r"[a-z]")


def _pattern_kind(src: str) -> str:
    """'cjk' when the pattern can only match Chinese, 'latin' when it contains no Chinese."""
    if has_cjk(src):
        return "cjk" if not re.search(r"[a-z]", re.sub(r"\\[a-zA-Z]", "", src)) else "any"
    return "latin"


def en_words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


def features(text: str) -> dict[str, float]:
    """Term frequencies of matching features of an already normalised text.

    ``w:`` stemmed English word, ``b:`` English word bigram, ``c:`` Chinese character,
    ``z:`` Chinese character bigram.
    """
    out: dict[str, float] = {}
    latin = _CJK_RUN_RE.sub(" ", text)
    prev = None
    for raw in en_words(latin):
        if raw in EN_STOP or (len(raw) == 1 and raw.isdigit()):
            prev = None
            continue
        w = stem(raw)
        k = "w:" + w
        out[k] = out.get(k, 0.0) + 1.0
        if prev is not None:
            kb = f"b:{prev}_{w}"
            out[kb] = out.get(kb, 0.0) + 1.0
        prev = w
    for run in _CJK_RUN_RE.findall(text):
        for i, ch in enumerate(run):
            if ch not in ZH_STOP:
                k = "c:" + ch
                out[k] = out.get(k, 0.0) + 1.0
            if i + 1 < len(run) and not (ch in ZH_STOP and run[i + 1] in ZH_STOP):
                k = "z:" + run[i : i + 2]
                out[k] = out.get(k, 0.0) + 1.0
    return out


class TermSet:
    """Fast "does the text contain one of these terms": whole words/phrases for Latin terms,
    substrings for Chinese ones. Terms and texts are normalised with ``normalise``."""

    def __init__(self, terms: list[str]):
        self.words: set[str] = set()
        self.phrases: list[str] = []
        self.cjk: list[str] = []
        for t in terms:
            t = normalise(t)
            if not t:
                continue
            if has_cjk(t):
                self.cjk.append(t)
            elif " " in t:
                self.phrases.append(f" {t} ")
            else:
                self.words.add(t)
        # the same message is searched by several rules and often asked again: remember the result
        self.search = functools.lru_cache(maxsize=4096)(self._search)

    def _search(self, norm: str) -> str | None:
        """The first term found in the normalised text, or None (``search``, cached)."""
        if self.words:
            latin = _CJK_RUN_RE.sub(" ", norm)
            hit = self.words.intersection(latin.split())
            if hit:
                return min(hit)
            padded = f" {latin} "
            for p in self.phrases:
                if p in padded:
                    return p.strip()
        elif self.phrases:
            padded = f" {_CJK_RUN_RE.sub(' ', norm)} "
            for p in self.phrases:
                if p in padded:
                    return p.strip()
        if self.cjk and _CJK_RE.search(norm):
            for t in self.cjk:
                if t in norm:
                    return t
        return None

    def all(self, norm: str) -> list[str]:
        """Every term found in the normalised text."""
        latin = f" {_CJK_RUN_RE.sub(' ', norm)} "
        found = sorted(self.words.intersection(latin.split()))
        found += [p.strip() for p in self.phrases if p in latin]
        return found + [t for t in self.cjk if t in norm]

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases or self.cjk)
