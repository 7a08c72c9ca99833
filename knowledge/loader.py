"""Reading and validating the knowledge data directory.

Layout (every file TOML, read with the standard library's ``tomllib``)::

    facts.toml        typed facts, each stated once
    calendar.toml     audit blackout windows, helpline closures (dated, staff-maintained)
    safety.toml       urgent words and emergency guidance
    workers.toml      workers' own questions (wages, contract, hours, ...) → the Worker Helpline
    messages.toml     engine texts (not sure, out of scope, ambiguous) and out-of-scope terms
    lexicon.toml      synonym / spelling rewrites used for matching
    vocabulary.toml   the word patterns the answering rules look for
    entries/*.toml    the topics: [[entry]] tables

Texts may reference facts as ``{table.key}`` (resolved here; unknown → ``KnowledgeError``) and
answer-time slots as ``{$name}`` (left for the engine).
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Any

from knowledge.errors import KnowledgeError
from knowledge.model import BlackoutWindow, Closure, Contact, Contacts, Entry, Facts, Fees, Status

LANGS = ("en", "zh")
STATUS_KEYS = ("certified", "remediation", "probation", "progressing", "assessed", "terminated")
COMPUTES = {"audit_fee", "total_cost", "blackout", "validity", "pv_window"}
_REF_RE = re.compile(r"\{([A-Za-z_][\w.]*)\}")
_SLOT_RE = re.compile(r"\{\$(\w+)\}")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
DATA_FILES = ("facts.toml", "calendar.toml", "safety.toml", "workers.toml", "messages.toml", "lexicon.toml",
              "vocabulary.toml")


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise KnowledgeError(str(path), None, "file is missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(str(path), None, f"not valid TOML: {exc}") from None


def format_fact(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, list):
        return ", ".join(format_fact(v) for v in value)
    if isinstance(value, (dt.date, str)):
        return str(value)
    raise TypeError(type(value))


class FactResolver:
    def __init__(self, raw: dict[str, Any]):
        self.raw = raw

    def lookup(self, ref: str) -> Any:
        node: Any = self.raw
        for part in ref.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(ref)
            node = node[part]
        if isinstance(node, dict):
            raise KeyError(ref)
        return node

    def resolve(self, text: str, file: str, entry: str | None) -> str:
        def sub(m: re.Match[str]) -> str:
            try:
                return format_fact(self.lookup(m.group(1)))
            except KeyError:
                raise KnowledgeError(file, entry, f"unknown fact reference {{{m.group(1)}}}") from None

        return _REF_RE.sub(sub, text)


def _require(table: dict[str, Any], key: str, typ: type | tuple[type, ...], file: str, entry: str | None) -> Any:
    if key not in table:
        raise KnowledgeError(file, entry, f"missing {key!r}")
    value = table[key]
    if not isinstance(value, typ):
        raise KnowledgeError(file, entry, f"{key!r} has the wrong type ({type(value).__name__})")
    return value


def build_facts(raw: dict[str, Any], file: str) -> Facts:
    fees = _require(raw, "fees", dict, file, "fees")
    fee_values = {k: _require(fees, k, int, file, "fees") for k in
                  ("registration_usd", "audit_per_man_day_usd", "certification_usd")}
    statuses_raw = _require(raw, "statuses", dict, file, "statuses")
    statuses: dict[str, Status] = {}
    for key in STATUS_KEYS:
        if key not in statuses_raw:
            raise KnowledgeError(file, f"statuses.{key}", "status is missing")
        s = statuses_raw[key]
        name = f"statuses.{key}"
        months = _require(s, "validity_months", list, file, name)
        if not months or not all(isinstance(m, int) and m > 0 for m in months):
            raise KnowledgeError(file, name, "validity_months must be a list of positive integers")
        texts = {k: _require(s, k, str, file, name) for k in
                 ("name_en", "name_zh", "criteria_en", "criteria_zh", "next_steps_en", "next_steps_zh")}
        statuses[key] = Status(key=key, validity_months=tuple(months),
                               certified=_require(s, "certified", bool, file, name), **texts)
    contacts_raw = _require(raw, "contacts", dict, file, "contacts")

    def contact(name: str) -> Contact:
        c = _require(contacts_raw, name, dict, file, f"contacts.{name}")
        fields = ("phone", "email", "hours", "timezone", "days_en", "days_zh")
        return Contact(**{k: c.get(k) for k in fields})

    contacts = Contacts(helpdesk=contact("helpdesk"), helpline=contact("helpline"),
                        integrity=contact("integrity"),
                        wechat_id=contacts_raw.get("social", {}).get("wechat_id"))
    return Facts(fees=Fees(**fee_values), statuses=statuses, contacts=contacts, raw=raw)


def _date(table: dict[str, Any], key: str, file: str, entry: str) -> dt.date:
    v = table.get(key)
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            pass
    raise KnowledgeError(file, entry, f"{key!r} must be a date (YYYY-MM-DD)")


def build_calendar(raw: dict[str, Any], file: str) -> tuple[list[BlackoutWindow], list[Closure]]:
    windows = []
    for i, w in enumerate(raw.get("blackout", [])):
        name = f"blackout[{i}] {w.get('name_en', '')}".strip()
        start, end = _date(w, "start", file, name), _date(w, "end", file, name)
        if end < start:
            raise KnowledgeError(file, name, "end is before start")
        windows.append(BlackoutWindow(start, end, _require(w, "name_en", str, file, name),
                                      _require(w, "name_zh", str, file, name),
                                      _require(w, "source", str, file, name)))
    closures = []
    for i, c in enumerate(raw.get("helpline_closure", [])):
        name = f"helpline_closure[{i}]"
        start, end = _date(c, "start", file, name), _date(c, "end", file, name)
        if end < start:
            raise KnowledgeError(file, name, "end is before start")
        closures.append(Closure(start, end, str(c.get("reason", ""))))
    return sorted(windows, key=lambda w: w.start), sorted(closures, key=lambda c: c.start)


def _bilingual(e: dict[str, Any], key: str, file: str, eid: str, *, kind: type = str,
               required: bool = True) -> dict[str, Any]:
    value = e.get(key)
    if value is None:
        if required:
            raise KnowledgeError(file, eid, f"missing {key!r}")
        return {lang: ([] if kind is list else "") for lang in LANGS}
    if not isinstance(value, dict):
        raise KnowledgeError(file, eid, f"{key!r} must have 'en' and 'zh'")
    out = {}
    for lang in LANGS:
        v = value.get(lang)
        if required and (v is None or (kind is str and not str(v).strip()) or (kind is list and not v)):
            raise KnowledgeError(file, eid, f"missing {lang!r} translation of {key!r}")
        if v is None:
            v = [] if kind is list else ""
        if not isinstance(v, kind) or (kind is list and not all(isinstance(x, str) for x in v)):
            raise KnowledgeError(file, eid, f"{key}.{lang} has the wrong type")
        out[lang] = v
    extra = set(value) - set(LANGS)
    if extra:
        raise KnowledgeError(file, eid, f"{key!r} has unknown languages {sorted(extra)}")
    return out


def build_entries(files: list[Path], resolver: FactResolver) -> list[Entry]:
    entries: list[Entry] = []
    seen: dict[str, str] = {}
    for path in files:
        file = str(path)
        raw = read_toml(path)
        unknown = set(raw) - {"entry"}
        if unknown:
            raise KnowledgeError(file, None, f"unknown top-level keys {sorted(unknown)} (expected [[entry]])")
        for i, e in enumerate(raw.get("entry", [])):
            eid = e.get("id")
            if not isinstance(eid, str) or not eid:
                raise KnowledgeError(file, f"#{i + 1}", "entry has no 'id'")
            if not _ID_RE.match(eid):
                raise KnowledgeError(file, eid, "id must look like 'area.topic' (lower case, dots)")
            if eid in seen:
                raise KnowledgeError(file, eid, f"duplicate id (also in {seen[eid]})")
            seen[eid] = file
            source = e.get("source")
            if not isinstance(source, str) or not source.strip():
                raise KnowledgeError(file, eid, "missing 'source' (document and section in the seeds)")
            title = _bilingual(e, "title", file, eid)
            answer = _bilingual(e, "answer", file, eid)
            paraphrases = _bilingual(e, "paraphrases", file, eid, kind=list)
            keywords = _bilingual(e, "keywords", file, eid, kind=list, required=False)
            compute = e.get("compute")
            if compute is not None and compute not in COMPUTES:
                raise KnowledgeError(file, eid, f"unknown compute {compute!r} (one of {sorted(COMPUTES)})")
            templates: dict[str, dict[str, str]] = {}
            for tname, t in (e.get("templates") or {}).items():
                templates[tname] = _bilingual({"t": t}, "t", file, f"{eid} templates.{tname}")
            for d in (title, answer, *templates.values()):
                for lang in LANGS:
                    d[lang] = resolver.resolve(d[lang].strip(), file, eid)
            known = {"id", "source", "title", "answer", "paraphrases", "keywords", "compute", "templates",
                     "hidden", "menu", "handoff", "declines", "requires"}
            extra = set(e) - known
            if extra:
                raise KnowledgeError(file, eid, f"unknown keys {sorted(extra)}")
            entries.append(Entry(id=eid, file=file, title=title, answer=answer, paraphrases=paraphrases,
                                 keywords=keywords, source=source.strip(), compute=compute,
                                 templates=templates, hidden=_flag(e, "hidden", file, eid),
                                 menu=_menu(e, file, eid), handoff=_flag(e, "handoff", file, eid),
                                 declines=_flag(e, "declines", file, eid),
                                 requires=_requires(e, file, eid)))
    if not entries:
        raise KnowledgeError(str(files[0].parent) if files else "entries/", None, "no entries found")
    return entries


def _requires(e: dict[str, Any], file: str, eid: str) -> "re.Pattern[str] | None":
    words = e.get("requires")
    if words is None:
        return None
    if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
        raise KnowledgeError(file, eid, "'requires' must be a non-empty list of words")
    from knowledge.text import normalise

    return re.compile("|".join(re.escape(normalise(w, simplify=False)) for w in words))


def _flag(e: dict[str, Any], key: str, file: str, eid: str) -> bool:
    value = e.get(key, False)
    if not isinstance(value, bool):
        raise KnowledgeError(file, eid, f"{key!r} must be true or false")
    return value


def _menu(e: dict[str, Any], file: str, eid: str) -> int:
    menu = e.get("menu", 100)
    if not isinstance(menu, int) or isinstance(menu, bool):
        raise KnowledgeError(file, eid, "'menu' must be an integer (position in the FAQ list)")
    return menu


def data_files(base: Path, override: Path | None = None) -> tuple[dict[str, Path], list[Path]]:
    """The data files to read: ``override`` (same layout) wins file by file over ``base``."""
    files = {}
    for name in DATA_FILES:
        p = base / name
        if override is not None and (override / name).is_file():
            p = override / name
        files[name] = p
    entry_files: dict[str, Path] = {p.name: p for p in sorted((base / "entries").glob("*.toml"))}
    if override is not None and (override / "entries").is_dir():
        for p in sorted((override / "entries").glob("*.toml")):
            entry_files[p.name] = p
    return files, [entry_files[k] for k in sorted(entry_files)]
