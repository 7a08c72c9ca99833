"""One question prepared once for the answering rules: the forms of its text they read, the slots
found in it and its ranking, each computed when a rule first asks for it."""
from __future__ import annotations

import datetime as dt
import unicodedata
from typing import TYPE_CHECKING

from knowledge import candidates, parsing, stories
from knowledge.text import normalise

if TYPE_CHECKING:
    from knowledge.answering import Engine

MAX_QUESTION = 1000  # characters used for matching: a pasted document's start says what it is about


class lazy:
    """A value computed on first use and kept on the instance (a question is read by one thread)."""

    def __init__(self, fn):
        self.fn, self.name, self.__doc__ = fn, fn.__name__, fn.__doc__

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


class Question:
    def __init__(self, eng: "Engine", text: str, lang: str, today: dt.date, split: bool):
        self.eng = eng
        self.lang = lang          # the language to answer in
        self.today = today
        self.split = split        # may be read as several questions (False for one clause of them)
        self._read(text[:MAX_QUESTION])

    def narrow(self, text: str) -> None:
        """Read only ``text`` from now on (the asking sentences of a message whose other sentences
        only give context); everything derived from the old text is dropped."""
        for name in _LAZY:
            self.__dict__.pop(name, None)
        self._read(text)

    def _read(self, text: str) -> None:
        self.text = text
        self.raw = unicodedata.normalize("NFKC", text).lower().strip()  # dates are read from this
        self.norm = normalise(text)  # lower case, Simplified, tidy punctuation: word patterns

    @lazy
    def prepared(self) -> str:
        """Normalised, spelling-corrected and rewritten (the lexicon): what the matcher reads."""
        return self.eng.matcher.prepare_query(self.text)

    @lazy
    def ranking(self) -> list[tuple[float, int]]:
        """(score, entry index) best first; for a long message, its asking sentence's when that is surer."""
        return stories.focus(self.eng, self.text, self.eng.matcher.rank(self.prepared))

    @lazy
    def boosted(self) -> list[tuple[float, int]]:
        """The ranking with a named status lifted ("we are on probation, how long does it last?")."""
        return candidates.boost_status(self.eng, self.norm, self.ranking)

    @lazy
    def top_ids(self) -> list[str]:
        return [self.eng.entries[i].id for _, i in self.ranking[:3]]

    @lazy
    def man_days(self) -> float | None:
        """A number of man-days ("5 man-day", "五个人日"), unless a detail of the fee is asked (tax …)."""
        n = parsing.man_days(self.norm)
        if n is not None and 0 < n <= 1000 and not self.eng.vocab.fee_detail.search(self.norm):
            return n
        return None

    @lazy
    def dates(self) -> list[dt.date]:
        return parsing.dates(self.raw, self.today)

    @lazy
    def years(self) -> list[int]:
        return parsing.years(self.raw)

    @lazy
    def months(self) -> list[tuple[int, int]]:
        """(year, month) of months named without a day ("late January 2024", "2月份")."""
        return parsing.months(self.raw, self.today)

    @lazy
    def status(self) -> str | None:
        """The status the question names."""
        return self.eng.vocab.status_in(self.norm)

    @lazy
    def slots(self) -> dict[str, object]:
        """The values found in the question, for an entry's computed answer."""
        out: dict[str, object] = {}
        if self.man_days is not None:
            out["man_days"] = self.man_days
        if self.dates:
            out["dates"] = self.dates
        if self.years:
            out["years"] = self.years
        return out

    def date_asked(self) -> bool:
        """Whether a date is in a sentence that asks something (or the message is one sentence)."""
        return stories.date_asked(self.eng, self.text, self.today)


_LAZY = tuple(k for k, v in Question.__dict__.items() if isinstance(v, lazy))
