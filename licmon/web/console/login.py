"""GET and POST /staff/login, POST /staff/logout."""

from aiohttp import web

from licmon.domain.logins import FAILURE_MESSAGE, STALE_FORM_MESSAGE, LoginOutcome
from licmon.errors import Forbidden
from licmon.keys import STAFF_AUTH
from licmon.web.addresses import client_address
from licmon.web.console.auth import (
    LOGIN_PATH,
    SESSION,
    SESSION_COOKIE,
    USER,
    clear_session_cookie,
    same_origin,
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
    if not same_origin(request):  # no logging a victim into an attacker's account
        raise Forbidden("The request came from another site.")
    form = await request.post()
    username, password, challenge = (
        str(form.get(name, ""))[:MAX_FIELD] for name in ("username", "password", "challenge")
    )
    result = await request.config_dict[STAFF_AUTH].login(
        username.strip().lower(), password, challenge, client_address(request)
    )
    if result.session is None:
        stale = result.outcome is LoginOutcome.BAD_FORM
        message = STALE_FORM_MESSAGE if stale else FAILURE_MESSAGE
        return _form(request, message, 400 if stale else 401, username[:64])
    response = see_other("/staff/")
    set_session_cookie(response, result.session)
    return response


@routes.post("/staff/logout")
@staff_page(None)
async def logout(request: web.Request) -> web.StreamResponse:
    await request.config_dict[STAFF_AUTH].logout(request[SESSION], request[USER])
    response = see_other(LOGIN_PATH)
    clear_session_cookie(response)
    return response
