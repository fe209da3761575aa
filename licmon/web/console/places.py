"""Known places: an organization's declared networks (offices, VPN egresses), which the
detectors do not count as spread, travel or clones. Staff who decide flags declare and
withdraw them (audited); everyone who sees licenses sees them, a customer its own only.
The page and the token API (``/staff/api/places``) say the same."""

from typing import Any

from aiohttp import web

from licmon.domain.detectors.known import PLACE_KINDS, KnownPlace
from licmon.domain.ids import NOT_HERE
from licmon.domain.scopes import LICENSES_WRITE
from licmon.domain.staff import (
    Permission,
    StaffUser,
    check_declares_places,
    may_declare_places,
    sees_org,
)
from licmon.domain.validation import place_fields
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
    return [_row(p, slugs) for p in places if sees_org(user, p.org_id)]


def _row(place: KnownPlace, slugs: dict[int, str]) -> dict[str, Any]:
    return {
        "org": slugs.get(place.org_id, str(place.org_id)),
        "network": place.network,
        "kind": place.kind,
        "label": place.label,
    }


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
        "may_edit": may_declare_places(user),
        "message": message,
    }
    return render(request, "places.html", context, status)


@routes.post(PAGE)
@staff_page(Permission.FLAG_ACTIONS)
async def places_add(request: web.Request) -> web.StreamResponse:
    user: StaffUser = request[USER]
    check_declares_places(user)
    form = await request.post()
    named = {name: str(form[name]) for name in ("org", "network", "kind", "label") if name in form}
    try:
        place = place_fields(named)
        await request.config_dict[STORE].add_place(
            place["org"], place["network"], place["kind"], place["label"], actor=user.actor
        )
    except LicmonError as exc:
        return await _page(request, exc.message, exc.status)
    await _changed(request)
    return see_other(PAGE)


@routes.post(PAGE + "/remove")
@staff_page(Permission.FLAG_ACTIONS)
async def places_remove(request: web.Request) -> web.StreamResponse:
    user: StaffUser = request[USER]
    check_declares_places(user)
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
    check_declares_places(user)
    body = place_fields(await read_json(request))
    store = request.config_dict[STORE]
    added = await store.add_place(
        body["org"], body["network"], body["kind"], body["label"], actor=user.actor
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
    check_declares_places(user)
    org, network = request.query.get("org", ""), request.query.get("network", "")
    if not org or not network:
        raise BadRequest("Name the place: ?org=<slug>&network=<CIDR>.")
    await request.config_dict[STORE].remove_place(org, network, actor=user.actor)
    await _changed(request)
    return web.Response(status=204)
