"""GET and POST /staff/account/second-factor: TOTP enrolment from the console. Admins and
DPOs without a second factor are sent here before any other page."""

from aiohttp import web

from licmon.keys import STAFF_AUTH, STORE
from licmon.staff_login import confirm_enrolment, start_enrolment
from licmon.web.console.auth import SECOND_FACTOR_PATH, USER, staff_page
from licmon.web.console.render import render

routes = web.RouteTableDef()


@routes.get(SECOND_FACTOR_PATH)
@staff_page(None)
async def second_factor_form(request: web.Request) -> web.StreamResponse:
    user = request[USER]
    if user.second_factor:
        return render(request, "second_factor.html", page(enabled=True))
    enrolment = await start_enrolment(request.config_dict[STORE], user, user.actor)
    context = page(enabled=False, secret=enrolment.secret, uri=enrolment.uri)
    return render(request, "second_factor.html", context)


@routes.post(SECOND_FACTOR_PATH)
@staff_page(None)
async def second_factor_confirm(request: web.Request) -> web.StreamResponse:
    user = request[USER]
    form = await request.post()
    code = str(form.get("code", ""))[:24]
    now = request.config_dict[STAFF_AUTH].now()
    codes = await confirm_enrolment(request.config_dict[STORE], user, code, now, user.actor)
    return render(request, "second_factor.html", page(enabled=True, recovery_codes=codes))


def page(**context: object) -> dict[str, object]:
    return {"enabled": False, "secret": "", "uri": "", "recovery_codes": [], **context}
