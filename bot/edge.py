"""What every request meets before its handler: the TLS proxy's word on scheme and client
address (believed only from `ETP_TRUSTED_PROXIES`), and a body read with a deadline and a size
limit.

- **Proxies** (aiohttp-remotes): behind the documented TLS proxy the bot sees plain HTTP from the
  proxy's address. A request whose peer is one of the trusted proxy addresses or networks has its
  `X-Forwarded-For`/`X-Forwarded-Proto` applied (`XForwardedFiltered`: the client is the first
  untrusted address from the right), so `request.secure` is true for what came over https (the
  staff cookie gets `Secure`, the console sends HSTS) and `request.remote` is the client. From any
  other peer the headers are ignored: a client cannot claim https or another address.
- **Bodies**: a body (except a multipart upload, read by its handler as a stream) is read here,
  within `BODY_TIMEOUT` seconds, and at most `ETP_MAX_BODY_BYTES` (the application's
  `client_max_size`): a body sent slowly (slow loris) gets 408 and its connection is closed, one
  too large 413; the handler reads the body already in memory.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Iterable

from aiohttp import web
from aiohttp_remotes import XForwardedFiltered

log = logging.getLogger(__name__)

BODY_TIMEOUT = 10.0  # seconds to receive a whole body once its headers are in

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(proxies: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or networks (`10.0.0.1`, `10.0.0.0/8`, `::1`) as networks; ValueError names a bad one."""
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def trusted_proxies(proxies: tuple[Network, ...]):
    """The middleware that applies `X-Forwarded-*` from these peers only (None: trust no one)."""
    if not proxies:
        return None
    forwarded = XForwardedFiltered(set(proxies))

    @web.middleware
    async def from_trusted_proxy(request: web.Request, handler):
        if _peer_in(request, proxies):
            return await forwarded.middleware(request, handler)
        return await handler(request)

    return from_trusted_proxy


def _peer_in(request: web.Request, proxies: tuple[Network, ...]) -> bool:
    peer = request.transport.get_extra_info("peername") if request.transport is not None else None
    if not peer:
        return False
    try:
        address = ipaddress.ip_address(peer[0])
    except ValueError:  # a Unix socket
        return False
    return any(address in network for network in proxies)


@web.middleware
async def bounded_body(request: web.Request, handler):
    if request.body_exists and not request.content_type.startswith("multipart/"):
        try:
            async with asyncio.timeout(BODY_TIMEOUT):
                await request.read()  # kept by the request: the handler's read() returns it
        except TimeoutError:
            log.info("request body too slow", extra={"path": request.path})
            return _closing(request, web.Response(status=408, text="request body too slow"))
        except web.HTTPRequestEntityTooLarge:
            return _closing(request, web.Response(status=413, text="body too large"))
    return await handler(request)


def _closing(request: web.Request, response: web.Response) -> web.Response:
    """Answer, then close the connection without reading what is left of the body (aiohttp
    would otherwise go on reading an unfinished body for up to 10 s, its lingering time)."""
    request.content.feed_eof()
    response.force_close()
    return response
