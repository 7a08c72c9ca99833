"""Admins keep the canned replies (per queue and language): list, add, edit, delete. Staff of a
queue choose one on the case page (`partials/canned_picker.html`)."""
from __future__ import annotations

from aiohttp import web

from bot.core.errors import UserError
from bot.core.models.canned import CannedReply
from bot.core.models.cases import QUEUES
from bot.services import canned
from bot.staff import FORM_DATA, SIGNED_IN, i18n, id_from, now, redirect, render, runtime
from bot.staff.admin import admin_only


async def _page(request: web.Request, editing: CannedReply | None = None, error: str | None = None,
                form: dict | None = None, status: int = 200) -> web.Response:
    async with runtime(request).db.session() as s:
        replies = await canned.all_replies(s)
    return render(request, "canned.html", {
        "replies": replies, "editing": editing, "error": error, "form": form or {}, "queues": QUEUES,
        "langs": canned.LANGS, "lang_names": i18n.LANG_NAMES, "max_title": canned.MAX_TITLE,
        "max_body": canned.MAX_BODY}, status=status)


async def list_page(request: web.Request) -> web.Response:
    admin_only(request)
    return await _page(request)


async def edit_page(request: web.Request) -> web.Response:
    admin_only(request)
    async with runtime(request).db.session() as s:
        reply = await s.get(CannedReply, id_from(request, "reply_id"))
    if reply is None:
        raise web.HTTPNotFound()
    return await _page(request, editing=reply)


async def save(request: web.Request) -> web.Response:
    admin_only(request)
    form = request[FORM_DATA]
    reply_id = id_from(request, "reply_id") if "reply_id" in request.match_info else None
    values = {k: str(form.get(k) or "") for k in ("queue", "lang", "title", "body")}
    try:
        async with runtime(request).db.session() as s:
            await canned.save(s, **values, staff_id=request[SIGNED_IN].id, now=now(request), reply_id=reply_id)
    except UserError as exc:
        editing = None
        if reply_id is not None:
            async with runtime(request).db.session() as s:
                editing = await s.get(CannedReply, reply_id)
        return await _page(request, editing=editing, error=str(exc), form=values, status=400)
    return redirect("/staff/admin/canned")


async def remove(request: web.Request) -> web.Response:
    admin_only(request)
    if request[FORM_DATA].get("confirm") != "yes":
        raise web.HTTPBadRequest(text="Tick the box to confirm the deletion.")
    async with runtime(request).db.session() as s:
        if not await canned.delete(s, id_from(request, "reply_id")):
            raise web.HTTPNotFound()
    return redirect("/staff/admin/canned")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/canned", list_page, name="canned")
    app.router.add_post("/admin/canned", save, name="canned_add")
    app.router.add_get("/admin/canned/{reply_id}", edit_page, name="canned_edit")
    app.router.add_post("/admin/canned/{reply_id}", save, name="canned_save")
    app.router.add_post("/admin/canned/{reply_id}/delete", remove, name="canned_delete")
