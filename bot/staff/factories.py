"""Factories, for the helpdesk (and admins): find a factory, see its active chat bindings (never who
is behind them), revoke one, and issue a one-time binding code. The code is shown once, on the
page answering the POST: never in a URL, never logged, and stored only as a keyed hash
(`bot.services.bindings.issue_code`). Issuing and revoking are recorded in the access log."""
from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.models.cases import ADMIN, HELPDESK, CaseAccess, StaffUser
from bot.core.models.factories import Binding, Factory
from bot.services.bindings import issue_code, list_bindings, revoke_binding
from bot.staff import FORM_DATA, SIGNED_IN, id_from, now, page_number, redirect, render, runtime

log = logging.getLogger(__name__)
PAGE_SIZE = 50
MAX_QUERY = 100
CODE_ISSUED = "binding code issued"


def _allowed(request: web.Request) -> StaffUser:
    staff = request[SIGNED_IN]
    if staff.role not in (HELPDESK, ADMIN):
        raise web.HTTPNotFound()
    return staff


async def _record(session: AsyncSession, request: web.Request, staff: StaffUser, factory: Factory, action: str,
                  event: str) -> None:
    """The access log entry, and a log line of ids only (never the code)."""
    session.add(CaseAccess(staff_id=staff.id, factory_id=factory.id, action=action, at=now(request)))
    log.info("staff %s", action, extra={"event": event, "staff_id": staff.id, "factory_pk": factory.id})


def _search_terms(raw: str) -> str:
    query = raw.strip()[:MAX_QUERY]
    return query if query.isprintable() else ""  # PostgreSQL refuses NUL characters in a parameter


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def factories_page(request: web.Request) -> web.Response:
    _allowed(request)
    query = _search_terms(request.query.get("q", ""))
    where = []
    if query:
        pattern = _like(query)
        where.append(or_(func.lower(Factory.factory_id) == query.lower(),
                         func.lower(Factory.factory_id).like(pattern, escape="\\"),
                         func.lower(Factory.name).like(pattern, escape="\\"),
                         func.lower(Factory.name_zh).like(pattern, escape="\\")))
    page = page_number(request)
    async with runtime(request).db.session() as s:
        rows = (await s.execute(select(Factory).where(*where).order_by(Factory.factory_id)
                                .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))).scalars().all()
        total = (await s.execute(select(func.count()).select_from(Factory).where(*where))).scalar_one()
    return render(request, "factories.html", {
        "factories": rows, "q": query, "page": page, "pages": max(1, -(-total // PAGE_SIZE)), "total": total,
    })


async def _factory(session: AsyncSession, request: web.Request) -> Factory:
    factory = await session.get(Factory, id_from(request, "factory_pk"))
    if factory is None:
        raise web.HTTPNotFound()
    return factory


async def _factory_page(request: web.Request, session: AsyncSession, factory: Factory,
                        **values) -> web.Response:
    bindings = await list_bindings(session, factory.factory_id, include_revoked=False)
    return render(request, "factory.html", {"factory": factory, "bindings": bindings, **values})


async def factory_page(request: web.Request) -> web.Response:
    _allowed(request)
    async with runtime(request).db.session() as s:
        factory = await _factory(s, request)
        return await _factory_page(request, s, factory, revoked=request.query.get("revoked", "").isdigit())


async def new_code(request: web.Request) -> web.Response:
    """Answers the POST with the page itself (no redirect): the code must not travel in a URL."""
    staff = _allowed(request)
    config = runtime(request).config
    issued_at = now(request)
    async with runtime(request).db.session() as s:
        factory = await _factory(s, request)
        ttl = timedelta(days=config.code_ttl_days)
        code = await issue_code(s, runtime(request).services.secrets, factory.factory_id, ttl, now=issued_at)
        await _record(s, request, staff, factory, CODE_ISSUED, "binding_code_issued")
        return await _factory_page(request, s, factory, code=code, code_expires=issued_at + ttl,
                                   ttl_days=config.code_ttl_days)


async def revoke(request: web.Request) -> web.Response:
    """First a confirmation page; the binding is revoked when that page's form is sent."""
    staff = _allowed(request)
    binding_id = id_from(request, "binding_id")
    async with runtime(request).db.session() as s:
        factory = await _factory(s, request)
        binding = (await s.execute(select(Binding).where(
            Binding.id == binding_id, Binding.factory_pk == factory.id, Binding.revoked_at.is_(None)
        ))).scalar_one_or_none()
        if binding is None:
            raise web.HTTPNotFound()
        if request[FORM_DATA].get("confirm") != "yes":
            info = next(b for b in await list_bindings(s, factory.factory_id, include_revoked=False)
                        if b.id == binding_id)
            return render(request, "factory_revoke.html", {"factory": factory, "binding": info})
        if not await revoke_binding(s, binding_id, by="staff", now=now(request)):
            raise web.HTTPNotFound()  # revoked by someone else in the meantime
        await _record(s, request, staff, factory, f"binding revoked #{binding_id}", "binding_revoked")
    return redirect(f"/staff/factories/{factory.id}?revoked=1")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/factories", factories_page, name="factories")
    app.router.add_get("/factories/{factory_pk}", factory_page, name="factory")
    app.router.add_post("/factories/{factory_pk}/code", new_code, name="factory_code")
    app.router.add_post("/factories/{factory_pk}/bindings/{binding_id}/revoke", revoke, name="factory_revoke")
