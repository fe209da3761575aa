"""Who may call an admin route: a live personal API token (``Authorization: Bearer``) with
the route's scope, whose owner holds the route's permission (the console's ``api_route``:
one check for both APIs). Writes read their JSON body here and, for a POST, go through the
Idempotency-Key bookkeeping."""

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from licmon.admin_service import AdminService
from licmon.domain.idempotency import HEADER, Answer
from licmon.domain.scopes import LICENSES_WRITE, READ
from licmon.domain.staff import Permission, StaffUser
from licmon.errors import BadRequest
from licmon.web.console.api import api_route
from licmon.web.console.auth import USER, Handler
from licmon.web.jsonio import json_response, read_json

ADMIN = web.AppKey("admin", AdminService)
PREFIX = "/v1/admin"
REPLAYED = "Idempotent-Replayed"
WriteHandler = Callable[[web.Request, Any], Awaitable[Answer]]


def admin_read(permission: Permission) -> Callable[[Handler], Handler]:
    return api_route(permission, READ)


def admin_write(
    permission: Permission, scope: str = LICENSES_WRITE
) -> Callable[[WriteHandler], Handler]:
    """The handler gets the JSON body (None for a DELETE) and returns its answer; a POST
    with an Idempotency-Key answers a retry with the first answer."""

    def wrap(handler: WriteHandler) -> Handler:
        @api_route(permission, scope)
        @functools.wraps(handler)
        async def write(request: web.Request) -> web.StreamResponse:
            body = None if request.method == "DELETE" else await read_json(request)
            key = request.headers.get(HEADER) if request.method == "POST" else None
            answer, replayed = await service(request).once(
                user(request),
                f"{request.method} {request.path}",
                key,
                body,
                lambda: handler(request, body),
            )
            response = answer_json(answer.body, answer.status)
            if replayed:
                response.headers[REPLAYED] = "true"
            return response

        return write

    return wrap


def service(request: web.Request) -> AdminService:
    return request.config_dict[ADMIN]


def user(request: web.Request) -> StaffUser:
    return request[USER]


def answer_json(data: Any, status: int = 200) -> web.Response:
    response = json_response(data, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def check_query(query: Mapping[str, str], allowed: set[str]) -> None:
    """Unknown query parameters are refused, as unknown body fields are."""
    unknown = sorted(set(query) - allowed)
    if unknown:
        names = ", ".join(repr(name[:32]) for name in unknown)
        raise BadRequest(f"Unknown query parameter(s): {names}.")
