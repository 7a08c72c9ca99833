"""Safe mode's message encryption: wechatpy's `WeChatCrypto`, with two changes made through its
own `crypto_class` parameter (nothing of the library is patched).

- The AES cipher is built once, with the account, not for every message (wechatpy makes a new
  `PrpCrypto`, and so a new `Cipher`, each time it encrypts or decrypts).
- The 16 characters before each reply's XML (the random first block that makes two replies of
  the same text encrypt differently: the IV is the key's first 16 bytes) come from the OS's
  random source, not from `random.sample`, whose Mersenne Twister an observer of enough output
  can predict.
"""
from __future__ import annotations

import os
import string

from wechatpy.crypto import PrpCrypto, WeChatCrypto

# byte → letter or digit, as wechatpy's own prefix is made of (WeChat reads the 16 bytes and drops them)
_ALPHABET = (string.ascii_letters + string.digits).encode("ascii")
_TO_ALPHANUMERIC = bytes(_ALPHABET[b % len(_ALPHABET)] for b in range(256))


class _Prp(PrpCrypto):
    def get_random_string(self) -> bytes:
        return os.urandom(16).translate(_TO_ALPHANUMERIC)


class AccountCrypto(WeChatCrypto):
    """One Official Account's message encryption (token, EncodingAESKey, AppID), as wechatpy's."""

    def __init__(self, token: str, encoding_aes_key: str, app_id: str) -> None:
        super().__init__(token, encoding_aes_key, app_id)
        self._prp = _Prp(self.key)

    def _built(self, _key: bytes) -> _Prp:
        return self._prp

    def encrypt_message(self, msg, nonce, timestamp=None):
        return self._encrypt_message(msg, nonce, timestamp, self._built)

    def decrypt_message(self, msg, signature, timestamp, nonce):
        return self._decrypt_message(msg, signature, timestamp, nonce, self._built)
