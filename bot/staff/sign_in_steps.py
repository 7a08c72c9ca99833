"""The steps after a right password (`two_factor`): the code from the member's app; enrolling
the app (a QR code and the secret in text, confirmed by one code); a new password after an
admin's reset. Only a half-signed-in session at that step reaches these pages (the sign-in
check in `bot/staff/__init__.py`)."""
from __future__ import annotations

import logging

from aiohttp import web

from bot.core.errors import UserError
from bot.staff import (
    COOKIE,
    FORM_DATA,
    SIGNED_IN,
    STEPS,
    accounts,
    idle_timeout,
    now,
    redirect,
    render,
    runtime,
    totp,
    two_factor,
)
from bot.staff.login import _login_page, home_of, locked_text

log = logging.getLogger(__name__)
WRONG_CODE = "That code is not right (or was already used). Type the 6 digits your app shows now."


async def code_form(request: web.Request) -> web.Response:
    return render(request, "login_code.html", {"error": None, "step": True})


async def code_post(request: web.Request) -> web.Response:
    return await _check(request, enrolling=False)


async def _move_on(request: web.Request) -> web.Response:
    """The account has done this step meanwhile (in another browser): on to the step it needs now."""
    rt, user = runtime(request), request[SIGNED_IN]
    async with rt.db.session() as s:
        stage = two_factor.first_step(await s.get(type(user), user.id))
        await accounts.set_stage(s, request.cookies.get(COOKIE), stage)
    return redirect(STEPS[stage][0])


async def enrol_form(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    rt = runtime(request)
    try:
        secret, email = await two_factor.enrolment_secret(rt.db, rt.services.secrets, request[SIGNED_IN].id)
    except LookupError:
        return await _move_on(request)
    uri = totp.provisioning_uri(secret, email)
    return render(request, "enrol.html", {"qr": totp.qr_svg(uri), "secret": totp.spaced(secret), "issuer": totp.ISSUER,
                                          "error": error, "step": True}, status=status)


async def enrol_post(request: web.Request) -> web.Response:
    return await _check(request, enrolling=True)


async def _check(request: web.Request, *, enrolling: bool) -> web.Response:
    rt, user = runtime(request), request[SIGNED_IN]
    at, token = now(request), request.cookies.get(COOKIE)
    typed = str(request[FORM_DATA].get("code") or "")
    outcome = await two_factor.check_code(rt.db, rt.services.secrets, user.id, typed, at, enrolling=enrolling)
    if outcome is two_factor.Outcome.OK:
        async with rt.db.session() as s:
            await accounts.finish_sign_in(s, token, at, idle_timeout(request))
        log.info("staff second factor enrolled" if enrolling else "staff signed in",
                 extra={"event": "totp_enrolled" if enrolling else "login"})
        return redirect(home_of(user.role))
    log.info("staff second factor refused", extra={"event": "totp_failed"})
    if outcome is two_factor.Outcome.LOCKED:
        async with rt.db.session() as s:
            await accounts.end_session(s, token)
        request.pop(SIGNED_IN)  # the sign-in page again, as to anyone signed out
        response = _login_page(request, locked_text(), status=401)
        response.del_cookie(COOKIE, path="/staff/")
        return response
    if enrolling:
        return await enrol_form(request, WRONG_CODE, status=401)
    return render(request, "login_code.html", {"error": WRONG_CODE, "step": True}, status=401)


async def new_password_form(request: web.Request) -> web.Response:
    if request[SIGNED_IN].temporary_until is None:
        return await _move_on(request)
    return render(request, "new_password.html", {"error": None, "step": True})


async def new_password_post(request: web.Request) -> web.Response:
    rt, user = runtime(request), request[SIGNED_IN]
    if user.temporary_until is None:
        return await _move_on(request)
    try:
        await accounts.choose_password(rt.db, user.id, str(request[FORM_DATA].get("new") or ""))
    except UserError as error:
        return render(request, "new_password.html", {"error": str(error), "step": True}, status=400)
    log.info("staff password chosen after a reset", extra={"event": "password_changed"})
    return await _move_on(request)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/login/code", code_form, name="login_code")
    app.router.add_post("/login/code", code_post, name="login_code_post")
    app.router.add_get("/login/enrol", enrol_form, name="enrol")
    app.router.add_post("/login/enrol", enrol_post, name="enrol_post")
    app.router.add_get("/login/password", new_password_form, name="new_password")
    app.router.add_post("/login/password", new_password_post, name="new_password_post")
