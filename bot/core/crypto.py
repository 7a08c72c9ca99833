"""Encryption at rest and keyed lookup hashes, both derived from ETP_SECRET_KEY with HKDF.

- `encrypt`/`decrypt`: AES-256-GCM (`a1:` + base64url of a random 96-bit nonce and the
  ciphertext with its tag), one call into OpenSSL a value, about a fifth of Fernet's CPU on the
  webhook's hot path; values written before as Fernet tokens (AES-128-CBC + HMAC, `gAAAA…`)
  are still read, and `rotate` rewrites them. Both read data written under any of
  ETP_OLD_SECRET_KEYS, so a key rotation never loses access to old rows.
- `lookup_hash`: HMAC-SHA256 of an identifier, for equality look-ups (contacts, codes) without
  storing the identifier. `lookup_hashes` gives the hash under every known key (current first),
  so rows hashed under an old key are still found until `etp-bot keys rotate` re-hashes them.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.core import sealing


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"etp-bot/v1", info=purpose).derive(
        secret.encode("utf-8")
    )


_UNREADABLE = "stored data cannot be decrypted with the configured keys"
_MALFORMED = "stored data is not a valid token"
GCM = "a1:"  # an AES-256-GCM token (sealed values are "n1:", Fernet tokens "gAAAA")
_NONCE = 12


class DecryptError(Exception):
    """Stored data cannot be decrypted with any known key."""


class Secrets:
    def __init__(self, secret_key: str, old_keys: tuple[str, ...] = ()) -> None:
        if not secret_key:
            raise ValueError("a secret key is required")
        keys = [secret_key, *[k for k in old_keys if k and k != secret_key]]
        self._fernet = MultiFernet(  # reads values written before the GCM tokens
            [Fernet(base64.urlsafe_b64encode(_derive(k, b"encryption"))) for k in keys]
        )
        self._gcm = [AESGCM(_derive(k, b"encryption-aes-256-gcm")) for k in keys]
        self._hash_keys = [_derive(k, b"lookup-hash") for k in keys]
        # keyed once: a copy per hash skips the key's set-up (a third of an HMAC's CPU here)
        self._hashers = [hmac.new(k, digestmod=hashlib.sha256) for k in self._hash_keys]

    @classmethod
    def from_config(cls, config) -> Secrets:
        """The configured key and the old keys still accepted (`Config` after `with_secret()`)."""
        return cls(config.secret_key, config.old_secret_keys)

    # -- encryption -------------------------------------------------------------------------
    def encrypt(self, text: str) -> str:
        return self.encrypt_bytes(text.encode("utf-8"))

    def decrypt(self, token: str) -> str:
        return self.decrypt_bytes(token).decode("utf-8")

    def encrypt_bytes(self, data: bytes) -> str:
        nonce = os.urandom(_NONCE)
        return GCM + base64.urlsafe_b64encode(nonce + self._gcm[0].encrypt(nonce, data, None)).decode("ascii")

    def decrypt_bytes(self, token: str) -> bytes:
        if not token.startswith(GCM):
            try:
                return self._fernet.decrypt(token.encode("ascii"))
            except InvalidToken as exc:
                raise DecryptError(_UNREADABLE) from exc
        try:
            raw = base64.urlsafe_b64decode(token[len(GCM):])
        except ValueError as exc:
            raise DecryptError(_MALFORMED) from exc
        if len(raw) < _NONCE + 16:  # nonce and tag at least
            raise DecryptError(_MALFORMED)
        for key in self._gcm:  # the current key first, then the old ones
            try:
                return key.decrypt(raw[:_NONCE], raw[_NONCE:], None)
            except InvalidTag:
                continue
        raise DecryptError(_UNREADABLE)

    def encrypt_json(self, value: Any) -> str:
        return self.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def decrypt_json(self, token: str) -> Any:
        return json.loads(self.decrypt(token))

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the current key (a Fernet token becomes a GCM one)."""
        return self.encrypt_bytes(self.decrypt_bytes(token))

    # -- lookup hashes ---------------------------------------------------------------------
    def lookup_hash(self, value: str) -> str:
        return self._hash(self._hashers[0], value)

    def lookup_hashes(self, value: str) -> list[str]:
        return [self._hash(h, value) for h in self._hashers]

    @staticmethod
    def _hash(keyed: hmac.HMAC, value: str) -> str:
        h = keyed.copy()
        h.update(value.encode("utf-8"))
        return h.hexdigest()

    # -- receipts ---------------------------------------------------------------------------
    def receipt_hash(self, canonical: str) -> str:
        return self._receipt_hash(0, canonical)

    def receipt_hashes(self, canonical: str) -> list[str]:
        """A receipt's look-up hash under every known key (current first): a keyed slow hash,
        Argon2id over the HMAC of the receipt with a fixed salt derived from the key, so look-up
        stays an equality on an indexed column, and a copy of the database with the key file
        still costs an Argon2id run per guess (of 2**60 possible receipts)."""
        return [self._receipt_hash(i, canonical) for i in range(len(self._hash_keys))]

    def _receipt_hash(self, index: int, canonical: str) -> str:
        key = self._hash_keys[index]
        keyed = hmac.new(key, ("receipt:" + canonical).encode("utf-8"), hashlib.sha256).digest()
        salt = hmac.new(key, b"receipt-salt", hashlib.sha256).digest()
        return sealing.slow_key(keyed, salt, sealing.LOOKUP_COST).hex()

    def contact_tag(self, contact_id: int) -> str:
        """A keyed tag of a contact's row id: finds what belongs to a contact (a case, a held staff
        reply) without a column a join could follow."""
        return self.lookup_hash(f"contact-id:{contact_id}")

    def contact_tags(self, contact_id: int) -> list[str]:
        return self.lookup_hashes(f"contact-id:{contact_id}")

    def log_id(self, value: str) -> str:
        """A short keyed hash for logs: stable per contact, useless without the key."""
        return self.lookup_hash("log:" + value)[:12]
