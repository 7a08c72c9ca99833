"""`etp-bot ask`: one question, or one per line from standard input."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="answer one question (or one per line from stdin)")
    p.add_argument("question", nargs="?", help="the question; omit to read questions from stdin, one a line")
    p.add_argument("--json", action="store_true", help="one JSON object per answer")
    p.add_argument("--today", type=_date, help="the date used by date-aware answers (YYYY-MM-DD)")
    p.add_argument("--lang", choices=["en", "zh"], help="answer in this language")
    p.set_defaults(func=run)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from exc


def run(args: argparse.Namespace) -> int:
    from knowledge import load_default

    kb = load_default()

    def answer(question: str) -> str:
        a = kb.answer(question, lang=args.lang, today=args.today)
        return json.dumps(a.to_dict(), ensure_ascii=False) if args.json else a.answer

    if args.question is not None:
        print(answer(args.question))
        return 0
    out = sys.stdout
    first = True
    for line in sys.stdin:
        text = line.rstrip("\r\n")
        if args.json:
            out.write(answer(text) + "\n")
        else:
            out.write(("" if first else "\n") + answer(text) + "\n")
        first = False
        out.flush()
    return 0
