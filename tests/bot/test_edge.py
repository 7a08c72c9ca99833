"""The HTTP edge of `serve`: the TLS proxy's X-Forwarded-* believed only from ETP_TRUSTED_PROXIES
(the staff cookie's Secure flag and HSTS follow), and bodies read with a deadline and a size limit."""
from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from bot import edge
from bot.core.config import Config, ConfigError

FROM_PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


def login_cookie(response) -> str:
    (header,) = [v for v in response.headers.getall("Set-Cookie") if v.startswith("etp_staff_login=")]
    return header.lower()


@pytest.mark.parametrize("trusted, believed", [
    (("127.0.0.1",), True),  # the test client connects from 127.0.0.1: the proxy
    (("127.0.0.0/8", "10.0.0.0/8"), True),
    (("10.0.0.0/8",), False),  # a client elsewhere sending the same headers
    ((), False),  # nothing configured: nobody is believed
])
async def test_forwarded_headers_only_from_the_trusted_proxy(config, serve, trusted, believed) -> None:
    async with serve(replace(config, trusted_proxies=trusted)) as client:
        response = await client.get("/staff/login", headers=FROM_PROXY)
        assert response.status == 200
        assert ("; secure" in login_cookie(response)) is believed
        assert (response.headers.get("Strict-Transport-Security") == "max-age=31536000") is believed


async def test_plain_http_through_the_proxy_is_not_called_secure(config, serve) -> None:
    async with serve(replace(config, trusted_proxies=("127.0.0.1",))) as client:
        response = await client.get("/staff/login", headers={"X-Forwarded-Proto": "http",
                                                             "X-Forwarded-For": "203.0.113.7"})
        assert "; secure" not in login_cookie(response)
        assert "Strict-Transport-Security" not in response.headers


def test_trusted_proxies_setting() -> None:
    config = Config.from_env({"ETP_TRUSTED_PROXIES": " 127.0.0.1 , 10.0.0.0/8,::1"})
    assert config.trusted_proxies == ("127.0.0.1", "10.0.0.0/8", "::1")
    with pytest.raises(ConfigError, match="ETP_TRUSTED_PROXIES.*'nginx'"):
        Config.from_env({"ETP_TRUSTED_PROXIES": "127.0.0.1,nginx"})
    assert "ETP_TRUSTED_PROXIES" in Config.from_env({}).masked()


async def _raw(client, request: bytes, *, then: bytes = b"") -> tuple[bytes, float]:
    """Send raw bytes on one connection; the whole answer and how long it took."""
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    started = time.monotonic()
    writer.write(request)
    await writer.drain()
    if then:
        writer.write(then)
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer, time.monotonic() - started


async def test_a_body_sent_slowly_is_refused_while_others_are_served(config, serve, monkeypatch) -> None:
    monkeypatch.setattr(edge, "BODY_TIMEOUT", 0.5)
    async with serve(config) as client:
        slow = [asyncio.create_task(_raw(client, b"POST /staff/login HTTP/1.1\r\nHost: x\r\n"
                                             b"Content-Type: application/x-www-form-urlencoded\r\n"
                                             b"Content-Length: 1000\r\n\r\nemail=a"))
                for _ in range(20)]
        await asyncio.sleep(0.1)
        health = await client.get("/healthz")  # the slow bodies hold nothing up
        assert health.status == 200
        for answer, took in await asyncio.gather(*slow):
            assert answer.startswith(b"HTTP/1.1 408") and b"request body too slow" in answer
            assert 0.4 < took < 5  # refused at the deadline, the connection closed (read() returned)


async def test_a_body_in_time_is_read_once_by_its_handler(config, serve, monkeypatch) -> None:
    monkeypatch.setattr(edge, "BODY_TIMEOUT", 2.0)
    async with serve(config) as client:
        # the form arrives in two parts, within the deadline: the handler reads it (CSRF refused, 403)
        body = b"email=a%40b.org&password=x&csrf=nope"
        answer, _ = await _raw(client, b"POST /staff/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                       b"Content-Type: application/x-www-form-urlencoded\r\n"
                               + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:5], then=body[5:])
        assert answer.split(b"\r\n", 1)[0] in (b"HTTP/1.1 403 Forbidden", b"HTTP/1.1 400 Bad Request")


async def test_a_chunked_body_over_the_limit_gets_413(config, serve) -> None:
    async with serve(replace(config, max_body_bytes=4096)) as client:
        chunk = b"x" * 3000
        body = b"".join(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for _ in range(3)) + b"0\r\n\r\n"
        answer, _ = await _raw(client, b"POST /staff/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                       b"Content-Type: application/x-www-form-urlencoded\r\n\r\n" + body)
        assert answer.startswith(b"HTTP/1.1 413")
