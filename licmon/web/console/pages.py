"""Dashboard, licenses, one license (with addresses after a stated purpose), and a
customer's own organization. Customers see their organization only, on every route."""

from typing import Any

from aiohttp import web

from licmon.domain.access import ReadContext
from licmon.domain.ids import NOT_HERE, parse_id
from licmon.domain.models import License, LicenseStatus
from licmon.domain.network import network_text, parse_ip
from licmon.domain.node_locks import is_node_locked
from licmon.domain.paging import search_text
from licmon.domain.staff import Permission, StaffUser, check_scope
from licmon.domain.subjects import Subject
from licmon.domain.validation import check_machine_ids
from licmon.errors import BadRequest, Forbidden, NotFound
from licmon.keys import STAFF_AUTH, STORE
from licmon.web.console import charts
from licmon.web.console.auth import USER, staff_page
from licmon.web.console.flagdata import open_flags_by_kind
from licmon.web.console.listing import page_links, page_of
from licmon.web.console.render import render, see_other

routes = web.RouteTableDef()
DAY_HOURS, WEEK_HOURS = 24, 168
LICENSE_STATUSES = tuple(status.value for status in LicenseStatus)
MIN_REASON = 3
MAX_SEATED_SHOWN = 500


def now_of(request: web.Request) -> int:
    return request.config_dict[STAFF_AUTH].now()


@routes.get("/staff/")
@staff_page(None)
async def home(request: web.Request) -> web.StreamResponse:
    user = request[USER]
    if not user.may(Permission.LICENSES):
        return see_other("/staff/audit")
    return render(request, "dashboard.html", await dashboard_context(request, user))


@routes.get("/staff")
async def home_slash(request: web.Request) -> web.StreamResponse:
    return see_other("/staff/")


async def dashboard_context(request: web.Request, user: StaffUser) -> dict[str, Any]:
    store, now, org = request.config_dict[STORE], now_of(request), user.org_id
    counts = await store.checkins_per_hour(org, now - DAY_HOURS * charts.HOUR)
    products = await store.seats_per_product(org)
    flags = await open_flags_by_kind(store, user)
    return {
        "checkins": charts.bar_chart(charts.hourly(counts, now, DAY_HOURS)),
        "checkins_total": sum(counts.values()),
        "products": products,
        "seat_meters": charts.meters(
            [(p["product"], p["in_use"], p["licensed"]) for p in products]
        ),
        "flags": flags,
        "flag_chart": None if flags is None else charts.meters(flags),
    }


@routes.get("/staff/licenses")
@staff_page(Permission.LICENSES)
async def licenses(request: web.Request) -> web.StreamResponse:
    search = search_text(request.query.get("q"))
    status = request.query.get("status", "")
    status = status if status in LICENSE_STATUSES else ""
    listed = await request.config_dict[STORE].license_page(
        request[USER].org_id, search, status, page_of(request)
    )
    context = {"licenses": listed.rows, "pages": page_links(request, listed)}
    context.update(search=search, status=status, statuses=LICENSE_STATUSES)
    return render(request, "licenses.html", context)


async def visible_license(request: web.Request) -> License:
    """The license named in the path, if this user may see it; else the same 404 as for a
    license that does not exist (a customer learns nothing about other organizations)."""
    license_id = parse_id(request.match_info["license_id"])
    try:
        lic = await request.config_dict[STORE].get_license(license_id)
    except NotFound:
        raise NotFound(NOT_HERE) from None
    check_scope(request[USER], lic.org.id)
    return lic


@routes.get("/staff/licenses/{license_id}")
@staff_page(Permission.LICENSES)
async def license_page(request: web.Request) -> web.StreamResponse:
    lic = await visible_license(request)
    return render(request, "license.html", await license_context(request, lic))


async def license_context(request: web.Request, lic: License) -> dict[str, Any]:
    store, now = request.config_dict[STORE], now_of(request)
    activity = await store.license_activity(lic.id, now - WEEK_HOURS * charts.HOUR)
    peaks = {row["hour"]: row["peak_seats"] for row in activity["seat_use"]}
    seat_points = charts.hourly(peaks, now, WEEK_HOURS)
    user: StaffUser = request[USER]
    return {
        "lic": lic,
        "seated_ids": await _seated_machine_ids(request, lic)
        if user.may(Permission.DEACTIVATE)
        else {},
        "flags": await store.flag_rows(user.org_id, license_id=lic.id, limit=50),
        "may_act": user.may(Permission.FLAG_ACTIONS) and user.org_id is None,
        "may_move_lock": user.may(Permission.LOCK_MOVES) and is_node_locked(lic.terms),
        "lock_message": "",
        "confirm": None,
        "usage": await store.license_usage(lic.id),
        "seat_chart": charts.bar_chart(seat_points, line=lic.terms.seats, ticks=7),
        "machines": activity["machines"],
        "countries": activity["countries"],
        "purposes": request[USER].purposes(),
        "connections": None,
        "networks": None,
        "message": "",
    }


async def _seated_machine_ids(request: web.Request, lic: License) -> dict[str, int]:
    """Fingerprint -> machine id of the machines holding a seat: each gets a button."""
    rows = await request.config_dict[STORE].license_machines(lic.id, None, MAX_SEATED_SHOWN)
    return {row.fingerprint: row.id for row in rows if row.seat is not None}


STATUS_CHANGES = {
    "suspended": (
        LicenseStatus.SUSPENDED,
        "Suspend license #{id}? Its check-ins are refused until it is resumed.",
    ),
    "revoked": (
        LicenseStatus.REVOKED,
        "Revoke license #{id} for good? Its key stops working at once; revocation is final.",
    ),
    "active": (LicenseStatus.ACTIVE, "Resume license #{id}? Its check-ins are granted again."),
}


@routes.post("/staff/licenses/{license_id}/status")
@staff_page(Permission.FLAG_ACTIONS)
async def license_status(request: web.Request) -> web.StreamResponse:
    """Suspend, revoke or resume, with a reason (audited), after a second step."""
    lic = await visible_license(request)
    if request[USER].org_id is not None:
        raise NotFound(NOT_HERE)
    form = await request.post()
    wanted, reason = str(form.get("status", "")), str(form.get("reason", "")).strip()[:500]
    if wanted not in STATUS_CHANGES:
        raise BadRequest("Choose suspended, revoked or active.")
    if len(reason) < MIN_REASON:
        raise BadRequest(f"Give a reason of at least {MIN_REASON} characters.")
    status, question = STATUS_CHANGES[wanted]
    if form.get("confirmed") != "1":
        context = await license_context(request, lic)
        context["confirm"] = {"status": wanted, "reason": reason, "question": question}
        return render(request, "license.html", context)
    await request.config_dict[STORE].set_license_status(
        lic.id, status, actor=request[USER].actor, reason=reason
    )
    return see_other(f"/staff/licenses/{lic.id}")


@routes.post("/staff/licenses/{license_id}/move-lock")
@staff_page(Permission.LOCK_MOVES)
async def move_lock(request: web.Request) -> web.StreamResponse:
    """Take a machine off a node lock (its seat freed), audited, within the license's moves
    per period; a refusal is shown on the license page."""
    lic = await visible_license(request)
    user: StaffUser = request[USER]
    form = await request.post()
    machine = str(form.get("machine", "")).strip()[:128]
    to = str(form.get("to", "")).strip()[:128] or None
    try:
        check_machine_ids(machine, to)
        await request.config_dict[STORE].move_node_lock(lic.id, machine, to, actor=user.actor)
    except (BadRequest, Forbidden, NotFound) as refused:
        context = await license_context(request, lic)
        context["lock_message"] = refused.message
        return render(request, "license.html", context, status=400)
    return see_other(f"/staff/licenses/{lic.id}")


@routes.post("/staff/licenses/{license_id}/addresses")
@staff_page(Permission.LICENSES)
async def license_addresses(request: web.Request) -> web.StreamResponse:
    """Addresses and networks, after a stated purpose and justification (audited)."""
    lic = await visible_license(request)
    user: StaffUser = request[USER]
    form = await request.post()
    purpose, justification = str(form.get("purpose", "")), str(form.get("justification", ""))
    context = await license_context(request, lic)
    role = user.role_for(purpose)
    try:
        if role is None:
            raise Forbidden("Your role may not read addresses for this purpose.")
        ctx = ReadContext(user.actor, role, purpose, justification, user.org_id)
        rows = await request.config_dict[STORE].read_connections(
            ctx, Subject.parse("license", str(lic.id))
        )
    except Forbidden as exc:
        return render(request, "license.html", {**context, "message": exc.message}, 403)
    context.update(connections=rows, networks=networks(rows), purpose=purpose)
    return render(request, "license.html", context)


def networks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Connection rows grouped by network (IPv4 /24, IPv6 /48)."""
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        net = _network(row["address"])
        group = groups.setdefault(net, {"network": net, "machines": set(), "checkins": 0})
        group["machines"].add(row["machine"])
        group["checkins"] += row["checkins"]
    return sorted(
        ({**g, "machines": len(g["machines"])} for g in groups.values()),
        key=lambda g: (-g["checkins"], g["network"]),
    )


def _network(address: str) -> str:
    found = parse_ip(address.split("/", 1)[0]) if address else None
    return network_text(found) if found else "(none kept)"


@routes.get("/staff/org")
@staff_page(Permission.OWN_ORG)
async def own_org(request: web.Request) -> web.StreamResponse:
    user: StaffUser = request[USER]
    assert user.org_id is not None  # customers always have one (database constraint)
    store = request.config_dict[STORE]
    context = await dashboard_context(request, user)
    context["org"] = await store.org_info(user.org_id)
    context["licenses"] = await store.license_rows(user.org_id)
    return render(request, "org.html", context)
