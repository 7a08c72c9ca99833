"""The bot's texts: data files checked at load, and every key the code says exists."""
import ast
from pathlib import Path

import pytest

from bot.core import texts
from bot.core.texts import TEXTS, TextError, load

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [p for d in ("bot", "handlers", "integrations") for p in (ROOT / d).rglob("*.py")
           if "migrations" not in p.parts]
TEXT_CALLS = {"t", "_t", "reply"}  # t(key, lang, …), ctx.t(key, …), ctx.reply(key, …)


def _calls():
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in TEXT_CALLS:
                    yield path.relative_to(ROOT), node


def _key_maps():
    """Module-level dicts whose values are text keys (e.g. HELPLINE_CATEGORY_TEXT, MENU_ITEMS)."""
    for path in SOURCES:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                name = getattr(node.targets[0], "id", "")
                if name.endswith("_TEXT") or name == "MENU_ITEMS":
                    for value in node.value.values:
                        if isinstance(value, ast.Constant):
                            yield path.relative_to(ROOT), name, value.value


def test_every_key_the_code_uses_exists() -> None:
    used = [(str(p), n.args[0].value) for p, n in _calls()
            if isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str)]
    used += [(f"{p} {name}", key) for p, name, key in _key_maps()]
    assert len(used) > 100  # the scan sees the code
    missing = [(where, key) for where, key in used if key not in TEXTS]
    assert missing == []


def test_no_key_is_built_from_pieces() -> None:
    built = [f"{p}:{n.lineno}" for p, n in _calls() if isinstance(n.args[0], (ast.JoinedStr, ast.BinOp))]
    assert built == []


def test_every_text_has_both_languages_and_the_same_placeholders() -> None:
    assert len(TEXTS) > 130
    for key, value in TEXTS.items():
        assert set(value) == {"en", "zh"}, key
        assert texts.placeholders(value["en"]) == texts.placeholders(value["zh"]), key


def _folder(tmp_path, **files):
    for name, body in files.items():
        (tmp_path / f"{name}.toml").write_text(body, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("files,says", [
    ({"a": '[hello]\nen = "Hello"\n'}, "a.toml: [hello] lacks zh"),
    ({"a": '[hi]\nen = "Hi {name}"\nzh = "你好"\n'}, "a.toml: [hi] uses different placeholders"),
    ({"a": '[hi]\nen = "Hi"\nzh = "你好"\n', "b": '[hi]\nen = "Hey"\nzh = "嘿"\n'},
     "b.toml: [hi] is already defined in a.toml"),
    ({"a": '[hi]\nen = "Hi"\nzh = "你好"\nfr = "Salut"\n'}, "a.toml: [hi] has unknown entries fr"),
    ({"a": '[hi\nen = "Hi"\n'}, "a.toml: "),
    ({"a": 'hi = "Hi"\n'}, "a.toml: [hi] must be a table"),
])
def test_a_broken_text_file_is_refused_naming_the_file_and_key(tmp_path, files, says) -> None:
    with pytest.raises(TextError) as err:
        load(_folder(tmp_path, **files))
    assert says in str(err.value)


def test_a_good_file_loads_with_keys_containing_dots(tmp_path) -> None:
    loaded = load(_folder(tmp_path, a='["bind.ok"]\nen = "Linked to {factory}."\nzh = "已绑定到 {factory}。"\n'))
    assert loaded == {"bind.ok": {"en": "Linked to {factory}.", "zh": "已绑定到 {factory}。"}}
