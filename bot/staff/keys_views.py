"""The "Keys" page: a member's recovery key, and the queue key given to other members of the
queue (docs/cases.md "Encryption protocol"). The member's unwrapped private key is read from the
session key, which only this browser's cookie opens."""
from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import UserError
from bot.core.models.cases import QUEUES
from bot.services import keyring
from bot.staff import COOKIE, SIGNED_IN, accounts, id_from, redirect, render, runtime


async def member_private(request: web.Request, s: AsyncSession) -> bytes | None:
    cookie = request.cookies.get(COOKIE)
    return await keyring.session_private(s, cookie, accounts.session_id(cookie)) if cookie else None


async def queue_private(request: web.Request, s: AsyncSession) -> bytes | None:
    """The signed-in member's queue key, or None (not granted, or no session key)."""
    staff = request[SIGNED_IN]
    return await keyring.queue_private(s, await member_private(request, s), staff.id, staff.role)


async def _page(request: web.Request, *, recovery: str | None = None, error: str | None = None,
                status: int = 200) -> web.Response:
    staff = request[SIGNED_IN]
    async with runtime(request).db.session() as s:
        members = await keyring.members(s, staff.role) if staff.role in QUEUES else []
        holds = await queue_private(request, s) is not None if staff.role in QUEUES else False
        has_recovery = await keyring.has_recovery_key(s, staff.id)
        unlocked = await member_private(request, s) is not None
    return render(request, "keys.html", {"members": members, "holds": holds, "has_recovery": has_recovery,
                                         "unlocked": unlocked, "recovery": recovery, "error": error,
                                         "queue": staff.role if staff.role in QUEUES else None}, status=status)


async def keys_page(request: web.Request) -> web.Response:
    return await _page(request)


async def grant(request: web.Request) -> web.Response:
    staff, member_id = request[SIGNED_IN], id_from(request, "user_id")
    try:
        async with runtime(request).db.session() as s:
            await keyring.grant(s, staff, await member_private(request, s), member_id)
    except UserError as exc:
        return await _page(request, error=str(exc), status=400)
    return redirect("/staff/keys")


async def recovery(request: web.Request) -> web.Response:
    staff = request[SIGNED_IN]
    async with runtime(request).db.session() as s:
        private = await member_private(request, s)
        if private is None:
            return await _page(request, error="Sign out and in again to unlock your key first.", status=400)
        key = await keyring.new_recovery_key(s, staff.id, private)
    return await _page(request, recovery=key)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/keys", keys_page, name="keys")
    app.router.add_post("/keys/grant/{user_id}", grant, name="keys_grant")
    app.router.add_post("/keys/recovery", recovery, name="keys_recovery")
