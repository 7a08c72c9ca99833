"""Administrators: staff accounts (create, unlock, disable). The access log: `access_log.py`."""
from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from bot.core.errors import UserError
from bot.core.models.cases import ADMIN, ROLES, StaffSession, StaffUser
from bot.staff import FORM_DATA, SIGNED_IN, accounts, id_from, now, redirect, render, runtime


def _admin(request: web.Request) -> StaffUser:
    staff = request[SIGNED_IN]
    if staff.role != ADMIN:
        raise web.HTTPNotFound()
    return staff


admin_only = _admin  # for the other admin pages (canned replies)


async def _accounts_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    _admin(request)
    async with runtime(request).db.session() as s:
        users = (await s.execute(select(StaffUser).order_by(StaffUser.email))).scalars().all()
    return render(request, "admin.html", {"users": users, "roles": ROLES, "error": error, "now": now(request)},
                  status=status)


async def accounts_page(request: web.Request) -> web.Response:
    return await _accounts_page(request)


async def create(request: web.Request) -> web.Response:
    _admin(request)
    form = request[FORM_DATA]
    try:
        async with runtime(request).db.session() as s:
            await accounts.create_account(s, str(form.get("email") or ""), str(form.get("role") or ""),
                                          str(form.get("password") or ""))
    except UserError as exc:
        return await _accounts_page(request, str(exc), status=400)
    return redirect("/staff/admin")


async def change(request: web.Request) -> web.Response:
    me = _admin(request)
    action = request.match_info["action"]
    user_id = id_from(request, "user_id")
    async with runtime(request).db.session() as s:
        user = await s.get(StaffUser, user_id)
        if user is None or action not in ("unlock", "disable", "enable") or (user.id == me.id and action == "disable"):
            raise web.HTTPNotFound()
        if action == "unlock":
            user.locked_until, user.failed_logins = None, 0
        else:
            user.active = action == "enable"
            if not user.active:
                await s.execute(StaffSession.__table__.delete().where(StaffSession.staff_id == user.id))
    return redirect("/staff/admin")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin", accounts_page, name="admin")
    app.router.add_post("/admin/accounts", create, name="admin_create")
    app.router.add_post("/admin/accounts/{user_id}/{action}", change, name="admin_change")
