import base64

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


def test_lookup_hashes_stay_those_already_stored() -> None:
    """Rows hold HMAC-SHA256 of the identifier under the key HKDF derives for look-ups: a hash
    made now (again and again from one `Secrets`) is the one earlier releases stored."""
    import hmac

    from bot.core.crypto import _derive

    s = Secrets(KEY_B, (KEY_A,))
    for value in ("wechat:o123", "telegram:-1001234", "工厂 BSCI-0042", "wechat:o123"):
        assert s.lookup_hashes(value) == [hmac.digest(_derive(key, b"lookup-hash"), value.encode(), "sha256").hex()
                                          for key in (KEY_B, KEY_A)]


def test_values_written_as_fernet_tokens_before_are_still_read_and_rotated_to_gcm() -> None:
    """Rows written by earlier releases hold Fernet tokens: they stay readable (under the current
    and the old keys) and `keys rotate` rewrites them as AES-GCM tokens."""
    from cryptography.fernet import Fernet

    from bot.core.crypto import _derive

    written_before = Fernet(base64.urlsafe_b64encode(_derive(KEY_A, b"encryption"))).encrypt(
        "工资 wages".encode()).decode()
    assert written_before.startswith("gAAAA")
    assert Secrets(KEY_A).decrypt(written_before) == "工资 wages"
    rotated = Secrets(KEY_B, (KEY_A,)).rotate(written_before)
    assert rotated.startswith("a1:") and Secrets(KEY_B).decrypt(rotated) == "工资 wages"


def test_every_value_gets_its_own_nonce_and_a_changed_byte_is_refused() -> None:
    s = Secrets(KEY_A)
    first, second = s.encrypt("same"), s.encrypt("same")
    assert first != second and first.startswith("a1:")
    raw = bytearray(base64.urlsafe_b64decode(first[3:]))
    raw[-1] ^= 1
    with pytest.raises(DecryptError):
        s.decrypt("a1:" + base64.urlsafe_b64encode(bytes(raw)).decode())
    for garbage in ("a1:", "a1:!!", "not a token"):
        with pytest.raises(DecryptError):
            s.decrypt(garbage)
