"""GET and POST /staff/login, POST /staff/logout."""

from aiohttp import web

from licmon.domain.logins import FAILURE_MESSAGE, STALE_FORM_MESSAGE, LoginOutcome
from licmon.errors import Forbidden
from licmon.keys import STAFF_AUTH
from licmon.staff_login import LoginForm
from licmon.web.addresses import client_address
from licmon.web.console.auth import (
    DEVICE_COOKIE,
    LOGIN_PATH,
    SESSION,
    SESSION_COOKIE,
    USER,
    clear_session_cookie,
    same_origin,
    set_device_cookie,
    set_session_cookie,
    staff_page,
)
from licmon.web.console.render import render, see_other

routes = web.RouteTableDef()
MAX_FIELD = 1024


@routes.get(LOGIN_PATH)
async def login_form(request: web.Request) -> web.StreamResponse:
    auth = request.config_dict[STAFF_AUTH]
    if await auth.session(request.cookies.get(SESSION_COOKIE, "")) is not None:
        raise web.HTTPSeeOther("/staff/")
    return _form(request, "", 200)


def _form(request: web.Request, message: str, status: int, username: str = "") -> web.Response:
    challenge = request.config_dict[STAFF_AUTH].new_challenge()
    context = {"challenge": challenge, "message": message, "username": username}
    return render(request, "login.html", context, status)


@routes.post(LOGIN_PATH)
async def login_submit(request: web.Request) -> web.StreamResponse:
    auth = request.config_dict[STAFF_AUTH]
    if not same_origin(request):  # no logging a victim into an attacker's account
        await auth.refused(client_address(request))
        raise Forbidden("The request came from another site.")
    form = await request.post()
    username, password, challenge, code = (
        str(form.get(name, ""))[:MAX_FIELD]
        for name in ("username", "password", "challenge", "code")
    )
    device = request.cookies.get(DEVICE_COOKIE, "")[:MAX_FIELD]
    result = await auth.login(
        LoginForm(
            username.strip().lower(), password, challenge, client_address(request), code, device
        )
    )
    if result.session is None:
        stale = result.outcome is LoginOutcome.BAD_FORM
        message = STALE_FORM_MESSAGE if stale else FAILURE_MESSAGE
        return _form(request, message, 400 if stale else 401, username[:64])
    response = see_other("/staff/")
    set_session_cookie(response, result.session)
    if result.device_token:
        set_device_cookie(response, result.device_token)
    return response


@routes.post("/staff/logout")
@staff_page(None)
async def logout(request: web.Request) -> web.StreamResponse:
    await request.config_dict[STAFF_AUTH].logout(request[SESSION], request[USER])
    response = see_other(LOGIN_PATH)
    clear_session_cookie(response)
    return response
