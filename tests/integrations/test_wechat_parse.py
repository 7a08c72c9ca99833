"""The body is parsed once (defusedxml) and wechatpy's message built from that tree: for every
message and event of wechatpy's own test suite it is the message wechatpy's `parse_message`
makes from the text."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import wechatpy

from integrations.wechat.receive import BadRequest, parse_message, safe_xml

SAMPLES = json.loads((Path(__file__).parents[1] / "fakes" / "corpus" / "wechatpy_messages.json")
                     .read_text("utf-8"))["samples"]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_one_parse_gives_wechatpys_message(name: str) -> None:
    xml = SAMPLES[name]
    ours, theirs = parse_message(safe_xml(xml.encode("utf-8"))), wechatpy.parse_message(xml)
    assert type(ours) is type(theirs)
    assert ours._data == theirs._data
    assert (ours.type, ours.source, ours.target, ours.time) == (theirs.type, theirs.source, theirs.target, theirs.time)


def test_nested_repeated_and_padded_elements_read_as_wechatpy_reads_them() -> None:
    xml = ("<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>"
           "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
           "<Event><![CDATA[pic_weixin]]></Event><EventKey><![CDATA[  photo  ]]></EventKey>"
           "<SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum>a</PicMd5Sum></item>"
           "<item><PicMd5Sum>b</PicMd5Sum></item></PicList></SendPicsInfo><Empty></Empty></xml>")
    ours, theirs = parse_message(safe_xml(xml.encode())), wechatpy.parse_message(xml)
    assert ours._data == theirs._data
    assert ours._data["EventKey"] == "photo" and ours._data["Empty"] is None
    assert ours._data["SendPicsInfo"]["PicList"]["item"] == [{"PicMd5Sum": "a"}, {"PicMd5Sum": "b"}]


def test_a_message_without_a_type_is_no_message() -> None:
    assert parse_message(safe_xml(b"<xml><ToUserName>x</ToUserName></xml>")) is None
    with pytest.raises(BadRequest):
        safe_xml(b"<notxml/>")
