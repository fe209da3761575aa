"""The users page (admin): accounts, their roles, disable and enable. Accounts are made
and passwords set with the command line (``licmon user``), never through a form."""

from aiohttp import web

from licmon.domain.ids import parse_id
from licmon.domain.staff import Permission
from licmon.keys import STORE
from licmon.web.console.auth import USER, staff_page
from licmon.web.console.render import render, see_other

routes = web.RouteTableDef()


@routes.get("/staff/users")
@staff_page(Permission.USERS)
async def users(request: web.Request) -> web.StreamResponse:
    store = request.config_dict[STORE]
    orgs = {org.id: org.slug for org in await store.list_orgs()}
    return render(
        request,
        "users.html",
        {"users": await store.list_users(), "orgs": orgs, "tokens": await store.list_api_tokens()},
    )


@routes.post("/staff/users/{user_id}/{change:disable|enable}")
@staff_page(Permission.USERS)
async def set_disabled(request: web.Request) -> web.StreamResponse:
    """Nobody disables their own account: the store checks it (``staff.check_disable``)."""
    store, me = request.config_dict[STORE], request[USER]
    target = await store.get_user(parse_id(request.match_info["user_id"]))
    disable = request.match_info["change"] == "disable"
    await store.set_user_disabled(target.username, disable, actor=me.actor)
    return see_other("/staff/users")
