"""Administrators: staff accounts (create, change the role, reset, unlock, disable) and the
access log, where every one of these actions is written. An admin sees no case content."""
from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from bot.core.errors import UserError
from bot.core.models.cases import ADMIN, ROLES, Case, CaseAccess, StaffSession, StaffUser
from bot.core.models.factories import Factory
from bot.services import cases
from bot.staff import FORM_DATA, SIGNED_IN, accounts, id_from, now, redirect, render, runtime

ACCESS_LOG_LIMIT = 500


def _admin(request: web.Request) -> StaffUser:
    staff = request[SIGNED_IN]
    if staff.role != ADMIN:
        raise web.HTTPNotFound()
    return staff


async def _accounts_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    _admin(request)
    async with runtime(request).db.session() as s:
        users = (await s.execute(select(StaffUser).order_by(StaffUser.email))).scalars().all()
    return render(request, "admin.html", {"users": users, "roles": ROLES, "error": error, "now": now(request)},
                  status=status)


async def accounts_page(request: web.Request) -> web.Response:
    return await _accounts_page(request)


def _log(session, me: StaffUser, user: StaffUser, action: str, at) -> None:
    session.add(CaseAccess(staff_id=me.id, subject_staff_id=user.id, action=action[:32], at=at))


async def create(request: web.Request) -> web.Response:
    me = _admin(request)
    form = request[FORM_DATA]
    try:
        async with runtime(request).db.session() as s:
            user = await accounts.create_account(s, str(form.get("email") or ""), str(form.get("role") or ""),
                                                 str(form.get("password") or ""))
            _log(s, me, user, f"account created ({user.role})", now(request))
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
        _log(s, me, user, action, now(request))
    return redirect("/staff/admin")


async def change_role(request: web.Request) -> web.Response:
    """Another member's role (an admin's own stays, so that the console always has an admin).
    It applies from that member's next page; their queue changes with it."""
    me = _admin(request)
    role = str(request[FORM_DATA].get("role") or "")
    async with runtime(request).db.session() as s:
        user = await s.get(StaffUser, id_from(request, "user_id"))
        if user is None or user.id == me.id:
            raise web.HTTPNotFound()
        if role not in ROLES:
            return await _accounts_page(request, f"unknown role {role!r}", status=400)
        if role != user.role:
            _log(s, me, user, f"role {user.role} to {role}", now(request))
            user.role = role
    return redirect("/staff/admin")


async def reset_form(request: web.Request) -> web.Response:
    me = _admin(request)
    async with runtime(request).db.session() as s:
        user = await s.get(StaffUser, id_from(request, "user_id"))
    if user is None or user.id == me.id:
        raise web.HTTPNotFound()
    return render(request, "admin_reset.html", {"email": user.email, "user_id": user.id, "temporary": None})


async def reset(request: web.Request) -> web.Response:
    """A forgotten password or a lost phone: a temporary password, shown here once, with which
    the member chooses a new password and enrols a new second factor at the next sign-in."""
    me = _admin(request)
    async with runtime(request).db.session() as s:
        user = await s.get(StaffUser, id_from(request, "user_id"))
        if user is None or user.id == me.id:
            raise web.HTTPNotFound()
        temporary = await accounts.reset_account(s, user, now(request))
        _log(s, me, user, "reset password and 2FA", now(request))
        email, until = user.email, user.temporary_until
    return render(request, "admin_reset.html", {"email": email, "temporary": temporary, "until": until})


async def access_log(request: web.Request) -> web.Response:
    _admin(request)
    secrets = runtime(request).services.secrets
    async with runtime(request).db.session() as s:
        rows = (await s.execute(
            select(CaseAccess, StaffUser.email, Case, Factory.factory_id)
            .outerjoin(StaffUser, StaffUser.id == CaseAccess.staff_id)
            .outerjoin(Case, Case.id == CaseAccess.case_id)
            .outerjoin(Factory, Factory.id == CaseAccess.factory_id)
            .order_by(CaseAccess.at.desc(), CaseAccess.id.desc()).limit(ACCESS_LOG_LIMIT))).all()
        subjects = dict((await s.execute(select(StaffUser.id, StaffUser.email).where(
            StaffUser.id.in_({a.subject_staff_id for a, *_ in rows if a.subject_staff_id is not None})))).all())
    entries = [{"at": a.at, "email": email, "action": a.action, "ref": _subject(secrets, a, case, factory_id, subjects)}
               for a, email, case, factory_id in rows]
    return render(request, "access.html", {"entries": entries})


def _subject(secrets, entry: CaseAccess, case: Case | None, factory_id: str | None, emails: dict[int, str]) -> str:
    if entry.subject_staff_id is not None:
        return f"account {emails.get(entry.subject_staff_id, '(deleted)')}"
    if entry.factory_id is not None:
        return f"factory {factory_id}" if factory_id is not None else "(deleted factory)"
    return cases.case_number(case) if case else "(purged)"


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin", accounts_page, name="admin")
    app.router.add_post("/admin/accounts", create, name="admin_create")
    app.router.add_post("/admin/accounts/{user_id}/role", change_role, name="admin_role")
    app.router.add_get("/admin/accounts/{user_id}/reset", reset_form, name="admin_reset_form")
    app.router.add_post("/admin/accounts/{user_id}/reset", reset, name="admin_reset")
    app.router.add_post("/admin/accounts/{user_id}/{action}", change, name="admin_change")
    app.router.add_get("/admin/access", access_log, name="access_log")
