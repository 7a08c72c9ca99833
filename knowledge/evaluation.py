"""Scoring the knowledge base against question files, and the report staff read (``etp-bot kb test``).

A file has one JSON object a line, the format of ``../shared/eval/faq-sample.jsonl``:
``{"q": ..., "lang": "en", "expect": [[alt, ...], ...]}`` or ``{"q": ..., "oos": true}``.
A line is right when every group in ``expect`` has one alternative in the answer (lower case,
thousands separators removed), or, for ``oos`` lines, when the answer is a decline (topic null).
Optional ``topic`` (the expected topic id) and ``lang`` (the answer's language) are checked too.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.engine import KnowledgeBase

_THOUSANDS = re.compile(r"(?<=\d),(?=\d)")
CONFIDENT = 0.6   # a wrong answer at least this sure is a "confident wrong" one (the worst error)
DECLINED = "(declined)"


def clean(text: str) -> str:
    return _THOUSANDS.sub("", text.lower())


def check(kb: "KnowledgeBase", item: dict, today: dt.date | None = None) -> tuple[bool, dict]:
    """Whether the answer to one line is right, and the answer (``Answer.to_dict()``)."""
    a = kb.answer(item["q"], today=today).to_dict()
    if item.get("oos"):
        return a["topic"] is None, a
    text = clean(a["answer"])
    ok = all(any(clean(alt) in text for alt in group) for group in item.get("expect", []))
    if "topic" in item and a["topic"] != item["topic"]:
        ok = False
    if item.get("lang") and a["lang"] != item["lang"]:
        ok = False
    return ok, a


def load_jsonl(path: Path) -> list[dict]:
    """The lines of a question file; a line that is not a JSON object with "q" raises ValueError."""
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from None
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise ValueError(f"{path}:{n}: needs a \"q\" string")
        items.append(item)
    return items


def score(kb: "KnowledgeBase", items: list[dict], today: dt.date | None = None
          ) -> tuple[float, list[tuple[dict, dict]]]:
    """The share of right lines, and the wrong ones with their answers."""
    failures = []
    for item in items:
        ok, a = check(kb, item, today)
        if not ok:
            failures.append((item, a))
    return (1 - len(failures) / len(items)) if items else 1.0, failures


@dataclass
class Tally:
    right: int = 0
    wrong: int = 0
    declined: int = 0  # answers that declined or were not sure (topic null), right or wrong

    @property
    def total(self) -> int:
        return self.right + self.wrong

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 1.0


@dataclass
class Report:
    """What ``etp-bot kb test`` prints: right / wrong / declined per language and per topic, the
    confusion pairs, the confident wrong answers and every miss with what was expected."""
    files: list[str]
    overall: Tally = field(default_factory=Tally)
    by_lang: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_topic: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))  # the topic answered
    # the topic expected, for lines that name one ("topic", or "oos": a decline): recall
    by_expected: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    confusions: Counter = field(default_factory=Counter)  # (expected topic, topic given) of labelled misses
    misses: list[tuple[dict, dict]] = field(default_factory=list)
    confident_wrong: list[tuple[dict, dict]] = field(default_factory=list)

    @property
    def score(self) -> float:
        return self.overall.share


def evaluate(kb: "KnowledgeBase", files: list[Path], today: dt.date | None = None) -> Report:
    report = Report([str(f) for f in files])
    for f in files:
        for item in load_jsonl(f):
            ok, a = check(kb, item, today)
            lang = item.get("lang") or a["lang"]
            topic = a["topic"] or DECLINED
            expected = DECLINED if item.get("oos") else item.get("topic")
            tallies = [report.overall, report.by_lang[lang], report.by_topic[topic]]
            if expected:
                tallies.append(report.by_expected[expected])
            for tally in tallies:
                tally.right += ok
                tally.wrong += not ok
                tally.declined += a["topic"] is None
            if ok:
                continue
            report.misses.append((item, a))
            if expected:
                report.confusions[(expected, topic)] += 1
            if a["topic"] is not None and a["confidence"] >= CONFIDENT:
                report.confident_wrong.append((item, a))
    return report


def expected_text(item: dict) -> str:
    if item.get("oos"):
        return "a decline (off-topic)"
    groups = " and ".join(" or ".join(repr(x) for x in g) for g in item.get("expect", []))
    topic = f"topic {item['topic']}" if item.get("topic") else ""
    return ", ".join(x for x in (groups and f"the answer to contain {groups}", topic) if x) or "(nothing)"


def given_text(a: dict, width: int = 160) -> str:
    answer = a["answer"].replace("\n", " ")
    return f"{a['topic'] or DECLINED} ({a['confidence']:.2f}): {answer[:width]}{'…' if len(answer) > width else ''}"


def to_text(report: Report) -> str:
    o = report.overall
    lines = [f"Knowledge test: {o.right} of {o.total} right ({report.score:.1%}), {o.wrong} wrong, "
             f"{o.declined} declined or not sure; {len(report.confident_wrong)} confidently wrong",
             "Files: " + ", ".join(report.files), "", "By language   right  wrong  declined  score"]
    for lang, t in sorted(report.by_lang.items()):
        lines.append(f"  {lang:<10} {t.right:>6} {t.wrong:>6} {t.declined:>9}  {t.share:6.1%}")
    lines += ["", "By topic answered (precision)        right  wrong  score"]
    for topic, t in sorted(report.by_topic.items(), key=lambda kv: (-kv[1].wrong, kv[0])):
        lines.append(f"  {topic:<34} {t.right:>6} {t.wrong:>6}  {t.share:6.1%}")
    if report.by_expected:
        lines += ["", "By topic expected (recall; lines with a topic or oos)  right  wrong  score"]
        for topic, t in sorted(report.by_expected.items(), key=lambda kv: (-kv[1].wrong, kv[0])):
            lines.append(f"  {topic:<34} {t.right:>6} {t.wrong:>6}  {t.share:6.1%}")
    if report.confusions:
        lines += ["", "Confusions (expected → given)"]
        lines += [f"  {e} → {g}: {n}" for (e, g), n in report.confusions.most_common()]
    if report.confident_wrong:
        lines += ["", f"Confidently wrong (confidence ≥ {CONFIDENT})"]
        lines += [f"  {item['q']}\n      gave {given_text(a)}" for item, a in report.confident_wrong]
    if report.misses:
        lines += ["", "Misses"]
        for item, a in report.misses:
            lines += [f"  {item['q']}", f"      expected {expected_text(item)}", f"      gave     {given_text(a)}"]
    return "\n".join(lines) + "\n"


def to_html(report: Report) -> str:
    e = html.escape
    o = report.overall

    def rows(pairs: list[tuple[str, Tally]]) -> str:
        return "".join(f"<tr><td>{e(k)}</td><td>{t.right}</td><td>{t.wrong}</td><td>{t.declined}</td>"
                       f"<td>{t.share:.1%}</td></tr>" for k, t in pairs)

    head = "<tr><th>{}</th><th>right</th><th>wrong</th><th>declined</th><th>score</th></tr>"
    shade = ' class="confident"'
    misses = "".join(
        f"<tr{shade if (item, a) in report.confident_wrong else ''}><td>{e(item['q'])}</td>"
        f"<td>{e(expected_text(item))}</td><td>{e(given_text(a, 400))}</td></tr>" for item, a in report.misses)
    confusions = "".join(f"<tr><td>{e(ex)}</td><td>{e(g)}</td><td>{n}</td></tr>"
                         for (ex, g), n in report.confusions.most_common())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Knowledge test: {report.score:.1%}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:1.5em}}
td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}}
tr.confident{{background:#fde2e2}}</style></head><body>
<h1>Knowledge test</h1>
<p><strong>{o.right} of {o.total} right ({report.score:.1%})</strong>, {o.wrong} wrong, {o.declined} declined or
not sure, {len(report.confident_wrong)} confidently wrong (confidence ≥ {CONFIDENT}, shaded below).</p>
<p>Files: {e(", ".join(report.files))}</p>
<h2>By language</h2><table>{head.format("language")}{rows(sorted(report.by_lang.items()))}</table>
<h2>By topic answered (precision)</h2><table>{head.format("topic")}{rows(sorted(report.by_topic.items()))}</table>
<h2>By topic expected (recall: lines with a topic, or off-topic lines)</h2>
<table>{head.format("topic")}{rows(sorted(report.by_expected.items()))}</table>
<h2>Confusions (expected → given)</h2><table><tr><th>expected</th><th>given</th><th>times</th></tr>{confusions}</table>
<h2>Misses ({len(report.misses)})</h2>
<table><tr><th>question</th><th>expected</th><th>given</th></tr>{misses}</table>
</body></html>
"""
