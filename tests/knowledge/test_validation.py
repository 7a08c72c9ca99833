"""Broken knowledge directories fail to load with a message naming the file and the entry."""
from __future__ import annotations

from pathlib import Path

import pytest

import knowledge
from knowledge import KnowledgeBase, KnowledgeError


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _load_error(data: Path) -> KnowledgeError:
    with pytest.raises(KnowledgeError) as info:
        KnowledgeBase.from_dir(data)
    return info.value


def test_copy_loads(data_copy):
    kb = KnowledgeBase.from_dir(data_copy)
    assert kb.answer("registration fee").topic == "fees.registration"


def test_unknown_fact_reference(data_copy):
    f = data_copy / "entries" / "fees.toml"
    _edit(f, "{fees.registration_usd}, paid to the program", "{fees.registraton_usd}, paid to the program")
    err = _load_error(data_copy)
    assert err.file.endswith("fees.toml") and err.entry == "fees.overview"
    assert "fees.registraton_usd" in str(err) and "fees.toml" in str(err) and "fees.overview" in str(err)


def test_missing_translation(data_copy):
    f = data_copy / "entries" / "pv.toml"
    text = f.read_text(encoding="utf-8")
    start = text.index('answer.zh = "认证后')
    end = text.index("\n", start)
    f.write_text(text[:start] + text[end + 1:], encoding="utf-8")
    err = _load_error(data_copy)
    assert err.entry == "pv.timing" and "'zh'" in err.reason and err.file.endswith("pv.toml")


def test_empty_paraphrases(data_copy):
    import re

    f = data_copy / "entries" / "training.toml"
    text = f.read_text(encoding="utf-8")
    start = text.index('id = "training.open_day"')
    block_end = text.find("[[entry]]", start)
    block = text[start:block_end]
    block = re.sub(r"paraphrases\.zh = \[.*?\]", "paraphrases.zh = []", block, count=1, flags=re.S)
    f.write_text(text[:start] + block + text[block_end:], encoding="utf-8")
    err = _load_error(data_copy)
    assert err.entry == "training.open_day" and "paraphrases" in err.reason


def test_duplicate_id(data_copy):
    f = data_copy / "entries" / "connect.toml"
    _edit(f, 'id = "connect.requests"', 'id = "connect.overview"')
    err = _load_error(data_copy)
    assert err.entry == "connect.overview" and "duplicate" in err.reason


def test_duplicate_id_across_files(data_copy):
    f = data_copy / "entries" / "training.toml"
    _edit(f, 'id = "training.webinars"', 'id = "fees.registration"')
    err = _load_error(data_copy)
    assert err.entry == "fees.registration" and "duplicate" in err.reason and "fees.toml" in err.reason


def test_missing_source(data_copy):
    f = data_copy / "entries" / "nc.toml"
    _edit(f, 'source = "Factory Welcome Pack, What happens when Non-Compliances are found at audit?"\ntitle.en = "Minor', 'title.en = "Minor')
    err = _load_error(data_copy)
    assert err.entry == "nc.minor" and "source" in err.reason


def test_bad_toml_names_file(data_copy):
    f = data_copy / "entries" / "status.toml"
    f.write_text(f.read_text(encoding="utf-8") + "\n[[entry]\nid = \n", encoding="utf-8")
    err = _load_error(data_copy)
    assert err.file.endswith("status.toml") and "TOML" in err.reason


def test_unknown_compute(data_copy):
    _edit(data_copy / "entries" / "fees.toml", 'compute = "audit_fee"', 'compute = "audit_fees"')
    err = _load_error(data_copy)
    assert err.entry == "fees.audit" and "compute" in err.reason


def test_template_slot_reference_checked(data_copy):
    _edit(data_copy / "entries" / "fees.toml", "{fees.audit_per_man_day_usd} = {$audit} 美元", "{fees.audit_per_day} = {$audit} 美元")
    err = _load_error(data_copy)
    assert err.entry == "fees.audit" and "fees.audit_per_day" in err.reason


def test_bad_blackout_date(data_copy):
    _edit(data_copy / "calendar.toml", "end = 2024-02-25", "end = 2024-01-25")
    err = _load_error(data_copy)
    assert err.file.endswith("calendar.toml") and "blackout" in err.entry and "before start" in err.reason


def test_missing_status_fact(data_copy):
    _edit(data_copy / "facts.toml", "[statuses.assessed]", "[statuses.assesed]")
    err = _load_error(data_copy)
    assert err.file.endswith("facts.toml") and err.entry == "statuses.assessed"


def test_missing_emergency_translation(data_copy):
    f = data_copy / "safety.toml"
    text = f.read_text(encoding="utf-8")
    start = text.index('zh = """如果')
    end = text.index('"""', start + 8) + 3
    f.write_text(text[:start] + text[end:], encoding="utf-8")
    err = _load_error(data_copy)
    assert err.file.endswith("safety.toml") and err.entry == "emergency"


def test_missing_file(data_copy):
    (data_copy / "messages.toml").unlink()
    err = _load_error(data_copy)
    assert err.file.endswith("messages.toml") and "missing" in err.reason


def test_staff_can_add_a_blackout_window(data_copy):
    import datetime as dt

    with open(data_copy / "calendar.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[blackout]]\nstart = 2025-01-15\nend = 2025-02-12\nname_en = "Chinese New Year 2025"\n'
                 'name_zh = "2025年春节"\nsource = "News (test)"\n')
    kb = KnowledgeBase.from_dir(data_copy)
    assert kb.blackout_for(dt.date(2025, 2, 1)).name_en == "Chinese New Year 2025"
    a = kb.answer("can the auditor come on 1 Feb 2025?", today=dt.date(2025, 1, 2))
    assert "Chinese New Year 2025" in a.answer and a.topic == "audit.blackout"


def test_env_override_dir(tmp_path, monkeypatch):
    import datetime as dt

    over = tmp_path / "over"
    over.mkdir()
    (over / "calendar.toml").write_text(
        '[[blackout]]\nstart = 2030-01-20\nend = 2030-02-17\nname_en = "CNY 2030"\nname_zh = "2030年春节"\nsource = "test"\n'
        '\n[[helpline_closure]]\nstart = 2030-02-01\nend = 2030-02-07\nreason = "test"\n', encoding="utf-8")
    monkeypatch.setenv("ETP_KNOWLEDGE_DIR", str(over))
    kb = knowledge.load_default()
    assert kb.blackout_for(dt.date(2030, 2, 1)).name_en == "CNY 2030"
    assert kb.blackout_for(dt.date(2024, 2, 1)) is None  # the override file replaces the packaged one
    assert kb.helpline_closed_on(dt.date(2030, 2, 3))
    assert kb.answer("registration fee").topic == "fees.registration"  # entries still packaged
    monkeypatch.delenv("ETP_KNOWLEDGE_DIR")
    assert knowledge.load_default().blackout_for(dt.date(2024, 2, 1)) is not None


def test_engine_thresholds_are_data(data_copy):
    _edit(data_copy / "messages.toml", "threshold = 0.40", "threshold = 0.99")
    kb = KnowledgeBase.from_dir(data_copy)
    a = kb.answer("what's the per day rate of the auditor")
    assert a.topic is None and a.handoff is True
    _edit(data_copy / "messages.toml", "threshold = 0.99", "threshold = 1.5")
    err = _load_error(data_copy)
    assert err.file.endswith("messages.toml") and err.entry == "engine" and "threshold" in err.reason


def test_requires_must_be_a_list_of_words(data_copy):
    f = data_copy / "entries" / "audit.toml"
    _edit(f, 'requires = ["审核"', 'requires = [""')
    err = _load_error(data_copy)
    assert "audit.toml" in str(err) and "audit.day" in str(err) and "requires" in str(err)


def test_vocabulary_patterns_are_data_checked_at_load(data_copy):
    f = data_copy / "vocabulary.toml"
    _edit(f, "'以及', ", "'(以及', ")  # an unbalanced group
    err = _load_error(data_copy)
    assert err.file.endswith("vocabulary.toml") and err.entry == "clause" and "bad pattern" in err.reason


def test_vocabulary_missing_pattern_is_named(data_copy):
    f = data_copy / "vocabulary.toml"
    _edit(f, "\nboth = [", "\nboth_words = [")
    err = _load_error(data_copy)
    assert err.file.endswith("vocabulary.toml") and err.entry == "both" and "missing" in err.reason


def test_vocabulary_edit_changes_the_answers(data_copy):
    # staff can widen what counts as "a total": the word pattern is read from the file
    q = "5 man-days, how much for the lot"
    before = KnowledgeBase.from_dir(data_copy).answer(q)
    _edit(data_copy / "vocabulary.toml", "total = [\n  '", "total = [\n  'the lot', '")
    after = KnowledgeBase.from_dir(data_copy).answer(q)
    assert before.topic == "fees.audit" and after.topic == "fees.total" and "4,800" in after.answer
