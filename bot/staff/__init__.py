"""The staff console at `/staff/`: server-rendered pages (aiohttp-jinja2, autoescaped) on a
sub-application. Every page but the sign-in needs a session, signed in with both factors; every
POST needs the session's CSRF token (the sign-in form: a double-submit cookie)."""
from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.core.models.cases import StaffUser
from bot.staff import accounts
from integrations import appkeys as K

COOKIE = "etp_staff"
LOGIN_CSRF_COOKIE = "etp_staff_login"
PUBLIC = {"login", "login_post"}
# a half-signed-in session (right password, a step still to do: `two_factor`) opens its step's
# pages and signs out, nothing else: {stage: (its page, its routes)}
STEPS = {"code": ("/staff/login/code", {"login_code", "login_code_post"}),
         "enrol": ("/staff/login/enrol", {"enrol", "enrol_post"}),
         "password": ("/staff/login/password", {"new_password", "new_password_post"})}
STEP_ROUTES = set().union(*(routes for _, routes in STEPS.values()))
# what the sign-in check leaves on the request for the views
SIGNED_IN: web.RequestKey[StaffUser] = web.RequestKey("staff", StaffUser)
CSRF_TOKEN: web.RequestKey[str] = web.RequestKey("csrf", str)
FORM_DATA: web.RequestKey[Any] = web.RequestKey("form", object)
TEMPLATES = Path(__file__).resolve().parent / "templates"


def runtime(request: web.Request):
    return request.config_dict[K.RUNTIME]


def now(request: web.Request):
    return runtime(request).services.clock()


def idle_timeout(request: web.Request) -> timedelta:
    return timedelta(minutes=runtime(request).config.staff_idle_minutes)


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, path="/staff/", httponly=True, samesite="Lax", secure=request.secure,
                        max_age=max_age)


def same_token(expected: str | None, given: object) -> bool:
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(expected.encode(), given.encode())


@web.middleware
async def signed_in(request: web.Request, handler):
    route = request.match_info.route
    if route.name in PUBLIC or route.resource is None:
        return await handler(request)
    async with runtime(request).db.session() as s:
        found = await accounts.current(s, request.cookies.get(COOKIE), now(request), idle_timeout(request))
    if found is None:
        if request.method == "GET":
            raise web.HTTPSeeOther("/staff/login")
        raise web.HTTPForbidden(text="Your session has ended. Please sign in again.")
    stage = found.session.stage
    allowed = STEPS[stage][1] | {"logout"} if stage else set()
    if route.name in STEP_ROUTES - allowed or (stage and route.name not in allowed):
        if request.method == "GET":
            raise web.HTTPSeeOther(STEPS[stage][0] if stage else "/staff/")
        raise web.HTTPForbidden(text="Finish signing in first." if stage else "You are already signed in.")
    request[SIGNED_IN], request[CSRF_TOKEN] = found.user, found.session.csrf_token
    if request.method == "POST":
        form = await read_form(request)
        if not same_token(found.session.csrf_token, form.get("csrf")):
            raise web.HTTPForbidden(text="The form has expired (CSRF check failed). Reload the page and try again.")
        request[FORM_DATA] = form
    response = await handler(request)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@web.middleware
async def security_headers(request: web.Request, handler):
    response = await handler(request)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.secure:  # over https (directly, or through a trusted TLS proxy): browsers keep to https
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'")
    return response


async def read_form(request: web.Request):
    try:
        return await request.post()
    except ValueError:  # undecodable bytes, malformed multipart
        raise web.HTTPBadRequest(text="The form could not be read.") from None


MAX_ID = 2**31 - 1  # ids in URLs beyond the database's integer range are simply not found


def id_from(request: web.Request, name: str) -> int:
    try:
        value = int(request.match_info[name])
    except ValueError:
        raise web.HTTPNotFound() from None
    if not 0 < value <= MAX_ID:
        raise web.HTTPNotFound()
    return value


def page_number(request: web.Request) -> int:
    """The `page` of a paginated list (1 when missing or nonsense)."""
    raw = request.query.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() else 1


def redirect(location: str) -> web.Response:
    """303 See Other: after a POST the browser loads the page with GET."""
    return web.Response(status=303, headers={"Location": location})


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def local_time(moment: datetime | None, tz: ZoneInfo) -> str:
    """A stored UTC time as staff read it: in the office time zone (ETP_TIMEZONE)."""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def render(request: web.Request, template: str, values: dict[str, Any], status: int = 200) -> web.Response:
    """A page, with the signed-in account, its CSRF token and the office time zone."""
    values = {"staff": request.get(SIGNED_IN), "csrf": request.get(CSRF_TOKEN),
              "tz": ZoneInfo(runtime(request).config.timezone), **values}
    return aiohttp_jinja2.render_template(template, request, values, status=status)


def create_staff_app() -> web.Application:
    from bot.staff import admin, cases_views, factories, login, questions, sign_in_steps, statistics

    staff = web.Application(middlewares=[security_headers, signed_in])
    env = aiohttp_jinja2.setup(staff, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    env.filters["local"] = local_time
    login.add_routes(staff)
    sign_in_steps.add_routes(staff)
    cases_views.add_routes(staff)
    admin.add_routes(staff)
    questions.add_routes(staff)
    statistics.add_routes(staff)
    factories.add_routes(staff)
    return staff


def setup(app: web.Application) -> None:
    async def to_console(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/staff/")

    app.router.add_get("/staff", to_console)
    app.add_subapp("/staff/", create_staff_app())
