import pytest

from bot.core.crypto import DecryptError, Secrets

KEY_A = "a" * 40
KEY_B = "b" * 40


def test_round_trip_and_ciphertext_hides_text() -> None:
    s = Secrets(KEY_A)
    token = s.encrypt("工资被拖欠 unpaid wages")
    assert "unpaid" not in token and s.decrypt(token) == "工资被拖欠 unpaid wages"


def test_old_key_still_reads_and_rotate_moves_to_new_key() -> None:
    old = Secrets(KEY_A)
    token = old.encrypt("report")
    new = Secrets(KEY_B, (KEY_A,))
    assert new.decrypt(token) == "report"
    rotated = new.rotate(token)
    assert Secrets(KEY_B).decrypt(rotated) == "report"
    with pytest.raises(DecryptError):
        Secrets(KEY_B).decrypt(token)


def test_lookup_hash_is_keyed_and_old_hashes_are_still_found() -> None:
    a, b = Secrets(KEY_A), Secrets(KEY_B, (KEY_A,))
    assert a.lookup_hash("wechat:o123") != Secrets(KEY_B).lookup_hash("wechat:o123")
    assert a.lookup_hash("wechat:o123") in b.lookup_hashes("wechat:o123")
    assert b.lookup_hashes("wechat:o123")[0] == Secrets(KEY_B).lookup_hash("wechat:o123")
