"""Cutting replies to the platforms' limits without losing or reordering a character."""
from integrations.text import pack_bytes, split_bytes, split_text


def test_split_text_respects_the_limit_and_prefers_line_breaks() -> None:
    text = "\n".join(f"line {n} " + "x" * 50 for n in range(200))
    pieces = split_text(text, 4096)
    assert all(len(p) <= 4096 for p in pieces) and len(pieces) == 3
    assert "\n".join(pieces) == text
    assert split_text("", 10) == [""] and split_text("short", 10) == ["short"]


def test_split_bytes_counts_utf8_and_never_cuts_a_character() -> None:
    text = "中文" * 1500  # 3 bytes each, no spaces
    pieces = split_bytes(text, 2000)
    assert all(len(p.encode()) <= 2000 for p in pieces) and "".join(pieces) == text


def test_pack_joins_what_fits_in_order() -> None:
    assert pack_bytes(["a" * 900, "b" * 900, "c" * 900], 2000) == ["a" * 900 + "\n\n" + "b" * 900, "c" * 900]
    assert pack_bytes(["", "x"], 10) == ["x"]
