"""Sign in and out."""
from __future__ import annotations

import logging

from aiohttp import web

from bot.core.errors import UserError
from bot.core.models.cases import ADMIN
from bot.staff import (
    COOKIE,
    FORM_DATA,
    LOGIN_CSRF_COOKIE,
    SIGNED_IN,
    STEPS,
    accounts,
    idle_timeout,
    new_login_token,
    now,
    read_form,
    redirect,
    render,
    runtime,
    same_token,
    set_cookie,
    two_factor,
)

log = logging.getLogger(__name__)


def home_of(role: str) -> str:
    return "/staff/admin" if role == ADMIN else "/staff/"


def locked_text() -> str:
    return (f"Wrong email or password, or the account is locked. After {accounts.MAX_FAILURES} failed attempts "
            f"an account is locked for {int(accounts.LOCKOUT.total_seconds() // 60)} minutes.")


def _login_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    token = new_login_token()
    response = render(request, "login.html", {"csrf": token, "error": error}, status=status)
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


async def login_form(request: web.Request) -> web.Response:
    return _login_page(request)


async def login_post(request: web.Request) -> web.Response:
    form = await read_form(request)
    if not same_token(request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf")):
        return _login_page(request, "The form has expired. Please try again.", status=403)
    email, password = str(form.get("email") or ""), str(form.get("password") or "")
    at = now(request)
    db = runtime(request).db
    user = await accounts.authenticate(db, email, password, at) if accounts.plausible(email, password) else None
    if user is None:
        log.info("staff sign-in refused", extra={"event": "login_failed"})
        return _login_page(request, locked_text(), status=401)
    if user.temporary_until is not None and user.temporary_until <= at:
        return _login_page(request, "This temporary password has expired. Ask an administrator to reset "
                           "your account again.", status=401)
    stage = two_factor.first_step(user)  # the second step: the code (or enrolment, a new password)
    async with db.session() as s:
        token = await accounts.start_session(s, user, at, idle_timeout(request), stage=stage)
    response = redirect(STEPS[stage][0])
    set_cookie(request, response, COOKIE, token, max_age=int(accounts.SESSION_TTL.total_seconds()))
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/staff/")
    return response


async def logout(request: web.Request) -> web.Response:
    async with runtime(request).db.session() as s:
        await accounts.end_session(s, request.cookies.get(COOKIE))
    response = redirect("/staff/login")
    response.del_cookie(COOKIE, path="/staff/")
    return response


async def password_form(request: web.Request) -> web.Response:
    return render(request, "password.html", {"error": None, "done": False})


async def password_post(request: web.Request) -> web.Response:
    form = request[FORM_DATA]
    try:
        await accounts.change_password(runtime(request).db, request[SIGNED_IN].id, str(form.get("current") or ""),
                                       str(form.get("new") or ""), now(request), request.cookies.get(COOKIE))
    except UserError as error:
        return render(request, "password.html", {"error": str(error), "done": False}, status=400)
    log.info("staff password changed", extra={"event": "password_changed"})
    return render(request, "password.html", {"error": None, "done": True})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/password", password_form, name="password")
    app.router.add_post("/password", password_post, name="password_post")
    app.router.add_get("/login", login_form, name="login")
    app.router.add_post("/login", login_post, name="login_post")
    app.router.add_post("/logout", logout, name="logout")
