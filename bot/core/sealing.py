"""Public-key encryption for case data (PyNaCl / libsodium), the primitives of docs/cases.md
"Encryption protocol".

- `seal`/`unseal`: an anonymous sealed box (X25519 + XSalsa20-Poly1305) to a public key: anyone
  with the public key can add, only the private key reads. Tokens start with `n1:`, so they are
  told apart from the server key's tokens (`a1:`, or Fernet `gAAAA…` written by earlier releases).
- `wrap`/`unwrap`: a secret box (XSalsa20-Poly1305) under a 32-byte key, for private keys kept
  under a key derived from a password, a receipt, a recovery key or a session cookie.
- `slow_key`: Argon2id, the key of a password or a receipt (with a salt stored beside what it
  protects). Parameters are fixed here: changing them makes every stored wrap unreadable.
"""
from __future__ import annotations

import base64
import hashlib
import secrets as random

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.public import PrivateKey, PublicKey, SealedBox

PREFIX = "n1:"
SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES  # 16
# Argon2id costs (operations, bytes of memory), about 20-60 ms each on one core
PASSWORD_COST = (nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE, nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE)  # 2, 64 MiB
RECEIPT_COST = PASSWORD_COST
LOOKUP_COST = (2, 32 * 1024 * 1024)  # run for every receipt typed: one per known server key


class WrongKey(Exception):
    """A key does not open what it was given (wrong password, receipt, key or session)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii"))


def new_key_pair() -> tuple[str, bytes]:
    """(public key as text, private key bytes)."""
    private = PrivateKey.generate()
    return _b64(bytes(private.public_key)), bytes(private)


def public_of(private: bytes) -> str:
    return _b64(bytes(PrivateKey(private).public_key))


def is_sealed(token: str | None) -> bool:
    return bool(token) and token.startswith(PREFIX)


def seal_bytes(public_key: str, data: bytes) -> str:
    return PREFIX + _b64(SealedBox(PublicKey(_unb64(public_key))).encrypt(data))


def unseal_bytes(private: bytes, token: str) -> bytes:
    if not is_sealed(token):
        raise WrongKey("not a sealed token")
    try:
        return SealedBox(PrivateKey(private)).decrypt(_unb64(token[len(PREFIX):]))
    except (nacl.exceptions.CryptoError, ValueError) as exc:
        raise WrongKey("this key does not open it") from exc


def seal(public_key: str, text: str) -> str:
    return seal_bytes(public_key, text.encode("utf-8"))


def unseal(private: bytes, token: str) -> str:
    return unseal_bytes(private, token).decode("utf-8")


def wrap(key: bytes, data: bytes) -> str:
    return _b64(nacl.secret.SecretBox(key).encrypt(data))


def unwrap(key: bytes, token: str) -> bytes:
    try:
        return nacl.secret.SecretBox(key).decrypt(_unb64(token))
    except (nacl.exceptions.CryptoError, ValueError) as exc:
        raise WrongKey("this key does not open it") from exc


def new_salt() -> str:
    return _b64(nacl.utils.random(SALT_BYTES))


def slow_key(secret: str | bytes, salt: str | bytes, cost: tuple[int, int] = PASSWORD_COST) -> bytes:
    """Argon2id: a 32-byte key from a password or receipt and a salt."""
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    salt_bytes = _unb64(salt) if isinstance(salt, str) else salt
    return nacl.pwhash.argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, raw, salt_bytes[:SALT_BYTES],
                                    opslimit=cost[0], memlimit=cost[1])


def fast_key(secret: str, purpose: bytes) -> bytes:
    """A 32-byte key from a high-entropy secret (a recovery key, a session cookie): BLAKE2b."""
    return hashlib.blake2b(secret.encode("utf-8"), digest_size=32, person=purpose[:16].ljust(16, b"\0")).digest()


RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_recovery_key() -> str:
    """160 random bits in Crockford base-32, groups of four: shown once, written down."""
    body = "".join(random.choice(RECOVERY_ALPHABET) for _ in range(32))
    return "-".join(body[i:i + 4] for i in range(0, 32, 4))


def normalize_recovery_key(text: str) -> str:
    raw = "".join(c for c in (text or "").upper() if c.isalnum()).translate(str.maketrans("ILO", "110"))
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))
