"""Safe mode's encryption (`integrations/wechat/crypto.py`) against wechatpy's own, as WeChat's
servers would read it: each side decrypts what the other encrypts, and a reply's random prefix
is not predictable from Python's `random`."""
from __future__ import annotations

import base64
import random
import time

import pytest
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.crypto.cryptography import WeChatCipher
from wechatpy.exceptions import InvalidSignatureException

from integrations.wechat.crypto import AccountCrypto

TOKEN, AES_KEY, APP_ID = "cryptoTestToken2026", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wxcrypto00000001"
REPLY = "<xml><ToUserName><![CDATA[oUser]]></ToUserName><Content><![CDATA[注册费 RMB 1,500]]></Content></xml>"


def _envelope(encrypted_xml: str) -> dict:
    return xmltodict.parse(encrypted_xml)["xml"]


def _prefix(crypto: WeChatCrypto, encrypted_xml: str) -> bytes:
    """The 16 bytes before the reply's length and XML, as WeChat decrypts them."""
    return WeChatCipher(crypto.key).decrypt(base64.b64decode(_envelope(encrypted_xml)["Encrypt"]))[:16]


def test_each_side_reads_what_the_other_encrypts() -> None:
    ours, theirs = AccountCrypto(TOKEN, AES_KEY, APP_ID), WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    stamp = str(int(time.time()))
    for _ in range(3):  # the one cipher serves message after message
        reply = _envelope(ours.encrypt_message(REPLY, "777", stamp))
        assert theirs.decrypt_message(reply, reply["MsgSignature"], stamp, "777") == REPLY
        request = _envelope(theirs.encrypt_message(REPLY, "778", stamp))
        assert ours.decrypt_message(request, request["MsgSignature"], stamp, "778") == REPLY
    with pytest.raises(InvalidSignatureException):
        ours.decrypt_message(request, "0" * 40, stamp, "778")


def test_a_replys_random_prefix_does_not_come_from_pythons_random() -> None:
    ours, theirs = AccountCrypto(TOKEN, AES_KEY, APP_ID), WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    prefixes = {}
    for name, crypto in (("ours", ours), ("wechatpy", theirs)):
        seen = []
        for _ in range(2):
            random.seed(2026)  # the state an observer could have rebuilt
            seen.append(_prefix(crypto, crypto.encrypt_message(REPLY, "9", "1733300000")))
        prefixes[name] = seen
    # wechatpy's prefix repeats under the same `random` state; ours does not
    assert prefixes["wechatpy"][0] == prefixes["wechatpy"][1]
    assert prefixes["ours"][0] != prefixes["ours"][1]
    for prefix in prefixes["ours"]:
        assert len(prefix) == 16 and prefix.isascii() and prefix.isalnum()
