"""`etp-bot kb test FILE.jsonl ...`: score the knowledge base on question files (the format of the
public evaluation sample) and print a report staff can read; optionally write it as HTML. Exits 1
when the share of right answers is under ``--threshold`` (run it after editing the data files)."""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

DEFAULT_THRESHOLD = 0.95


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kb", help="check the knowledge base")
    kb_sub = p.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    t = kb_sub.add_parser("test", help="score question files (JSON lines) and report right / wrong / declined")
    t.add_argument("files", nargs="+", type=Path, metavar="FILE.jsonl",
                   help="question files, one JSON object a line (the format of eval/faq-sample.jsonl)")
    t.add_argument("--html", type=Path, metavar="REPORT.html", help="also write the report as an HTML page")
    t.add_argument("--threshold", type=_share, default=DEFAULT_THRESHOLD,
                   help=f"exit 1 when the share right is below this (default {DEFAULT_THRESHOLD})")
    t.add_argument("--today", type=date.fromisoformat, help="the date used by date-aware answers (YYYY-MM-DD)")
    t.set_defaults(func=run_test)


def _share(value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise argparse.ArgumentTypeError(f"a share between 0 and 1, not {value!r}")
    return share


def run_test(args: argparse.Namespace) -> int:
    from knowledge import load_default
    from knowledge.evaluation import evaluate, to_html, to_text

    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        print(f"etp-bot kb test: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        report = evaluate(load_default(), args.files, args.today)
    except ValueError as exc:
        print(f"etp-bot kb test: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(to_text(report))
    if args.html:
        args.html.write_text(to_html(report), encoding="utf-8")
        print(f"HTML report: {args.html}")
    if report.score < args.threshold:
        print(f"FAILED: {report.score:.1%} is below the threshold of {args.threshold:.0%}")
        return 1
    return 0
