"""The console language switch: a signed-in member's choice is remembered on their account
(`staff_users.console_lang`) and in a cookie, which also serves the sign-in page."""
from __future__ import annotations

from aiohttp import web
from sqlalchemy import update

from bot.core.models.cases import StaffUser
from bot.staff import FORM_DATA, LANG_COOKIE, SIGNED_IN, i18n, redirect, runtime, set_cookie

YEAR = 365 * 24 * 3600


def _back_to(raw: object) -> str:
    """Where to return: a console path only (never another site)."""
    path = str(raw or "")
    return path if path.startswith("/staff/") and not path.startswith("//") and "\\" not in path else "/staff/"


def _answer(request: web.Request, lang: str, back: str) -> web.Response:
    response = redirect(back)
    set_cookie(request, response, LANG_COOKIE, lang, max_age=YEAR)
    return response


async def choose(request: web.Request) -> web.Response:
    lang = i18n.choose(str(request[FORM_DATA].get("lang") or ""))
    async with runtime(request).db.session() as s:
        await s.execute(update(StaffUser).where(StaffUser.id == request[SIGNED_IN].id).values(console_lang=lang))
    return _answer(request, lang, _back_to(request[FORM_DATA].get("next")))


async def choose_signed_out(request: web.Request) -> web.Response:
    """The sign-in page's links (GET: nothing is changed but the cookie of this browser)."""
    return _answer(request, i18n.choose(request.query.get("lang")), "/staff/login")


def add_routes(app: web.Application) -> None:
    app.router.add_post("/language", choose, name="language")
    app.router.add_get("/language", choose_signed_out, name="language_signed_out")
