"""The console's JSON API under /staff/api, authenticated with personal API tokens
(``Authorization: Bearer lmt_...``), never with the session cookie: no CSRF to forge.
The same permissions and organization scope as the pages."""

import functools
from collections.abc import Callable
from typing import Any

from aiohttp import web

from licmon.domain.node_locks import TERM_RANGES
from licmon.domain.scopes import READ
from licmon.domain.staff import Permission, StaffUser, require
from licmon.errors import Unauthorized
from licmon.keys import STAFF_AUTH, STORE
from licmon.web.console.auth import USER, Handler
from licmon.web.console.pages import visible_license
from licmon.web.jsonio import json_response

routes = web.RouteTableDef()
MODEL_TERMS = (*TERM_RANGES, "refuse_cloned")


def api_route(permission: Permission | None, scope: str = READ) -> Callable[[Handler], Handler]:
    """The handler runs for a live token with ``scope`` whose owner holds ``permission``."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            header = request.headers.get("Authorization", "")
            user = await request.config_dict[STAFF_AUTH].api_user(header, scope)
            if user is None:
                raise Unauthorized("A valid personal API token is needed (Authorization: Bearer).")
            if permission is not None:
                require(user, permission)
            request[USER] = user
            return await handler(request)

        guarded.permission = permission  # type: ignore[attr-defined]
        return guarded

    return wrap


def private_json(data: Any) -> web.Response:
    response = json_response(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.get("/staff/api/me")
@api_route(None)
async def me(request: web.Request) -> web.StreamResponse:
    user: StaffUser = request[USER]
    return private_json(
        {"id": user.id, "username": user.username, "roles": user.role_names, "org": user.org_id}
    )


@routes.get("/staff/api/licenses")
@api_route(Permission.LICENSES)
async def licenses(request: web.Request) -> web.StreamResponse:
    return private_json(await request.config_dict[STORE].license_rows(request[USER].org_id))


@routes.get("/staff/api/licenses/{license_id}")
@api_route(Permission.LICENSES)
async def license_detail(request: web.Request) -> web.StreamResponse:
    lic = await visible_license(request)
    usage = await request.config_dict[STORE].license_usage(lic.id)
    return private_json(
        {
            "id": lic.id,
            "org": lic.org.slug,
            "product": lic.product,
            "status": lic.status.value,
            "seats": lic.terms.seats,
            "seats_in_use": usage.seats_in_use,
            "seats_borrowed": usage.borrowed,
            "seats_offline": usage.offline,
            "machines": usage.machines,
            "machines_activated": usage.activated,
            **{name: getattr(lic.terms, name) for name in MODEL_TERMS},
        }
    )
