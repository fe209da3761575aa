"""Known places: an organization's declared networks (offices, VPN egresses), which the
detectors do not count as spread, travel or clones. Staff who decide flags declare and
withdraw them (audited); everyone who sees licenses sees them, a customer its own only.
The page and the token API (``/staff/api/places``) say the same."""

from typing import Any

from aiohttp import web

from licmon.domain.detectors.known import PLACE_KINDS, KnownPlace
from licmon.domain.ids import NOT_HERE
from licmon.domain.scopes import LICENSES_WRITE
from licmon.domain.staff import Permission, StaffUser
from licmon.errors import BadRequest, LicmonError, NotFound
from licmon.keys import ABUSE, STORE
from licmon.web.console.api import api_route, private_json
from licmon.web.console.auth import USER, staff_page
from licmon.web.console.render import render, see_other
from licmon.web.jsonio import read_json

routes = web.RouteTableDef()
PAGE = "/staff/places"
API = "/staff/api/places"


async def _visible(request: web.Request, org: str | None) -> list[dict[str, Any]]:
    """The places this user may see (a customer: its own organization's), as rows."""
    store, user = request.config_dict[STORE], request[USER]
    slugs = {o.id: o.slug for o in await store.list_orgs()}
    if org and org not in slugs.values():
        raise NotFound(NOT_HERE)
    places = await store.list_places(org or None)
    return [_row(p, slugs) for p in places if user.org_id in (None, p.org_id)]


def _row(place: KnownPlace, slugs: dict[int, str]) -> dict[str, Any]:
    return {
        "org": slugs.get(place.org_id, str(place.org_id)),
        "network": place.network,
        "kind": place.kind,
        "label": place.label,
    }


def _may_edit(user: StaffUser) -> bool:
    return user.may(Permission.FLAG_ACTIONS) and user.org_id is None


def _staff_only(user: StaffUser) -> None:
    if user.org_id is not None:  # a customer may not whitelist its own networks
        raise NotFound(NOT_HERE)


async def _changed(request: web.Request) -> None:
    """The running detectors see the change now, not at the next poll."""
    monitor = request.config_dict.get(ABUSE)
    if monitor is not None:
        await monitor.refresh_places()


@routes.get(PAGE)
@staff_page(Permission.LICENSES)
async def places_page(request: web.Request) -> web.StreamResponse:
    return await _page(request, "", 200)


async def _page(request: web.Request, message: str, status: int) -> web.Response:
    user: StaffUser = request[USER]
    org = request.query.get("org", "")[:64]
    context = {
        "places": await _visible(request, org if user.org_id is None else None),
        "org_filter": org,
        "orgs": [] if user.org_id is not None else await request.config_dict[STORE].list_orgs(),
        "kinds": PLACE_KINDS,
        "may_edit": _may_edit(user),
        "message": message,
    }
    return render(request, "places.html", context, status)


@routes.post(PAGE)
@staff_page(Permission.FLAG_ACTIONS)
async def places_add(request: web.Request) -> web.StreamResponse:
    user: StaffUser = request[USER]
    _staff_only(user)
    form = await request.post()
    org, network = str(form.get("org", "")), str(form.get("network", ""))
    kind, label = str(form.get("kind") or "office"), str(form.get("label", ""))
    try:
        await request.config_dict[STORE].add_place(org, network, kind, label, actor=user.actor)
    except LicmonError as exc:
        return await _page(request, exc.message, exc.status)
    await _changed(request)
    return see_other(PAGE)


@routes.post(PAGE + "/remove")
@staff_page(Permission.FLAG_ACTIONS)
async def places_remove(request: web.Request) -> web.StreamResponse:
    user: StaffUser = request[USER]
    _staff_only(user)
    form = await request.post()
    org, network = str(form.get("org", "")), str(form.get("network", ""))
    try:
        await request.config_dict[STORE].remove_place(org, network, actor=user.actor)
    except LicmonError as exc:
        return await _page(request, exc.message, exc.status)
    await _changed(request)
    return see_other(PAGE)


@routes.get(API)
@api_route(Permission.LICENSES)
async def places_list(request: web.Request) -> web.StreamResponse:
    org = request.query.get("org", "")[:64]
    return private_json(await _visible(request, org if request[USER].org_id is None else None))


@routes.post(API)
@api_route(Permission.FLAG_ACTIONS, LICENSES_WRITE)
async def places_api_add(request: web.Request) -> web.StreamResponse:
    user: StaffUser = request[USER]
    _staff_only(user)
    body = _fields(await read_json(request), ("org", "network"), ("kind", "label"))
    store = request.config_dict[STORE]
    added = await store.add_place(
        body["org"],
        body["network"],
        body.get("kind") or "office",
        body.get("label", ""),
        actor=user.actor,
    )
    await _changed(request)
    slugs = {o.id: o.slug for o in await store.list_orgs()}
    response = private_json(_row(added, slugs))
    response.set_status(201)
    return response


@routes.delete(API)
@api_route(Permission.FLAG_ACTIONS, LICENSES_WRITE)
async def places_api_remove(request: web.Request) -> web.StreamResponse:
    user: StaffUser = request[USER]
    _staff_only(user)
    org, network = request.query.get("org", ""), request.query.get("network", "")
    if not org or not network:
        raise BadRequest("Name the place: ?org=<slug>&network=<CIDR>.")
    await request.config_dict[STORE].remove_place(org, network, actor=user.actor)
    await _changed(request)
    return web.Response(status=204)


def _fields(body: Any, required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, str]:
    """A JSON object of strings with the required fields and no others; else a clear 400."""
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    unknown = sorted(set(body) - set(required) - set(optional))
    if unknown:
        raise BadRequest(f"Unknown field {unknown[0][:40]!r}.")
    for name in required:
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise BadRequest(f"{name!r} is required (a string).")
    for name in optional:
        if name in body and not isinstance(body[name], str):
            raise BadRequest(f"{name!r} must be a string.")
    return {k: str(v) for k, v in body.items()}
