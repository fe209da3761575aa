"""Every console route and API call, with every role, with nobody logged in, and with a
customer of another organization: the status must be the table's, and no answer may show
anything of an organization the user does not belong to (names, machines, seat counts)."""

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from licmon.domain.purposes import ABUSE
from licmon.domain.staff import Permission, StaffUser
from tests.staff.conftest import Browser, StaffWorld
from tests.staff.fixtures import ACME_MARKERS, GLOBEX_MARKERS, ROLES, Scene, build_scene

WHY = "investigating flag 12 for seat overuse"
_counter = itertools.count()


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # the route's canonical path, as the router names it
    path: Callable[[Scene], str]
    needs: Permission | None
    ok: int = 200
    form: Callable[[Scene], dict[str, str]] | None = None
    then: int | None = None  # status after the permission check passes (e.g. no purpose)


def _fresh_flag(scene: Scene) -> int:
    return scene.acme_flags[next(_counter) % len(scene.acme_flags)]


def _hold_form(scene: Scene) -> dict[str, str]:
    return {"scope": "license", "ref": str(scene.acme_license), "reason": "x", "citation": "y"}


PAGES = [
    Route("GET", "/staff", lambda s: "/staff", None, 303),
    Route("GET", "/staff/", lambda s: "/staff/", None),
    Route("GET", "/staff/login", lambda s: "/staff/login", None, 303),
    Route("GET", "/staff/static", lambda s: "/staff/static/console.css", None),
    Route("GET", "/staff/org", lambda s: "/staff/org", Permission.OWN_ORG),
    Route("GET", "/staff/licenses", lambda s: "/staff/licenses", Permission.LICENSES),
    Route(
        "GET",
        "/staff/licenses/{license_id}",
        lambda s: f"/staff/licenses/{s.acme_license}",
        Permission.LICENSES,
    ),
    Route(
        "POST",
        "/staff/licenses/{license_id}/addresses",
        lambda s: f"/staff/licenses/{s.acme_license}/addresses",
        Permission.LICENSES,
        form=lambda s: {"purpose": ABUSE, "justification": WHY},
        then=200,
    ),
    Route(
        "POST",
        "/staff/licenses/{license_id}/status",
        lambda s: f"/staff/licenses/{s.acme_license}/status",
        Permission.FLAG_ACTIONS,
        form=lambda s: {"status": "suspended", "reason": "checking the role"},  # asks first
    ),
    Route(
        "POST",
        "/staff/licenses/{license_id}/move-lock",
        lambda s: f"/staff/licenses/{s.acme_license}/move-lock",
        Permission.LOCK_MOVES,
        400,  # the scene's license is not node-locked: refused on the license page
        form=lambda s: {"machine": "acme-machine-0000"},
    ),
    Route("GET", "/staff/flags", lambda s: "/staff/flags?status=open", Permission.FLAGS),
    Route(
        "GET",
        "/staff/flags/{flag_id}",
        lambda s: f"/staff/flags/{s.acme_flags[0]}",
        Permission.FLAGS,
    ),
    Route(
        "POST",
        "/staff/flags/{flag_id}/evidence",
        lambda s: f"/staff/flags/{s.acme_flags[0]}/evidence",
        Permission.FLAG_EVIDENCE,
        form=lambda s: {"purpose": ABUSE, "justification": WHY},
    ),
    Route(
        "POST",
        "/staff/flags/{flag_id}/decide",
        lambda s: f"/staff/flags/{_fresh_flag(s)}/decide",
        Permission.FLAG_ACTIONS,
        303,
        form=lambda s: {"status": "acknowledged", "reason": "looking into it"},
    ),
    Route("GET", "/staff/reports/abuse", lambda s: "/staff/reports/abuse", Permission.REPORTS),
    Route("GET", "/staff/audit", lambda s: "/staff/audit", Permission.AUDIT),
    Route("GET", "/staff/dsr", lambda s: "/staff/dsr", Permission.DSR),
    Route(
        "POST",
        "/staff/dsr",
        lambda s: "/staff/dsr",
        Permission.DSR,
        form=lambda s: {
            "action": "export",
            "kind": "license",
            "value": str(s.acme_license),
            "justification": "data-subject request DSR-1",
        },
    ),
    Route(
        "POST",
        "/staff/dsr/correct",
        lambda s: "/staff/dsr/correct",
        Permission.DSR,
        form=lambda s: {
            "what": "org",
            "org": "acme",
            "name": "Acme Ltd",
            "justification": "data-subject request DSR-2",
        },
    ),
    Route("GET", "/staff/holds", lambda s: "/staff/holds", Permission.HOLDS),
    Route("POST", "/staff/holds", lambda s: "/staff/holds", Permission.HOLDS, 303, _hold_form),
    Route(
        "POST",
        "/staff/holds/{hold_id}/release",
        lambda s: "/staff/holds/HOLD/release",
        Permission.HOLDS,
        303,
        form=lambda s: {},
    ),
    Route("GET", "/staff/org/data", lambda s: "/staff/org/data", Permission.ORG_DATA),
    Route(
        "POST",
        "/staff/org/data/export",
        lambda s: "/staff/org/data/export",
        Permission.ORG_DATA,
        form=lambda s: {"org": "acme", "justification": "contract ended, ref C-1"},
    ),
    Route(  # without the typed confirmation nothing is erased
        "POST",
        "/staff/org/data/erase",
        lambda s: "/staff/org/data/erase",
        Permission.ORG_DATA,
        400,
        form=lambda s: {"org": "acme", "justification": "contract ended, ref C-1"},
    ),
    Route(  # machine 1 is acme's first (the scene checks acme in first)
        "POST",
        "/staff/licenses/{license_id}/machines/{machine_id}/deactivate",
        lambda s: f"/staff/licenses/{s.acme_license}/machines/1/deactivate",
        Permission.DEACTIVATE,
        303,
        form=lambda s: {"reason": "retired laptop"},
    ),
    Route("GET", "/staff/users", lambda s: "/staff/users", Permission.USERS),
    Route("GET", "/staff/webhooks", lambda s: "/staff/webhooks", Permission.CATALOG),
    Route("GET", "/staff/places", lambda s: "/staff/places", Permission.LICENSES),
    Route(
        "GET",
        "/staff/account/second-factor",
        lambda s: "/staff/account/second-factor",
        None,
    ),
    Route(
        "POST",
        "/staff/users/{user_id}/{change}",
        lambda s: f"/staff/users/{s.world.users['spare'].id}/enable",
        Permission.USERS,
        303,
        form=lambda s: {},
    ),
]
API = [
    Route("GET", "/staff/api/me", lambda s: "/staff/api/me", None),
    Route("GET", "/staff/api/licenses", lambda s: "/staff/api/licenses", Permission.LICENSES),
    Route(
        "GET",
        "/staff/api/licenses/{license_id}",
        lambda s: f"/staff/api/licenses/{s.acme_license}",
        Permission.LICENSES,
    ),
    Route(
        "GET", "/staff/api/reports/abuse", lambda s: "/staff/api/reports/abuse", Permission.REPORTS
    ),
    Route("GET", "/staff/api/places", lambda s: "/staff/api/places", Permission.LICENSES),
]
SPECIAL = {"/staff/login": "POST", "/staff/logout": "POST"}  # tested in test_login.py
SPECIAL["/staff/account/second-factor"] = "POST"  # tested in test_second_factor.py
# declaring and withdrawing known places: tested in test_places_console.py
ELSEWHERE = {
    ("POST", "/staff/places"),
    ("POST", "/staff/places/remove"),
    ("POST", "/staff/api/places"),
    ("DELETE", "/staff/api/places"),
}


def expected(route: Route, user: StaffUser) -> int:
    if route.pattern == "/staff/" and not user.may(Permission.LICENSES):
        return 303  # the dpo lands on the audit log
    if route.needs is not None and not user.may(route.needs):
        return 403
    if route.then is not None and not user.purposes():
        return 403  # the page is allowed, reading addresses is not
    return route.ok


async def _new_hold(scene: Scene) -> int:
    hold = await scene.world.store.add_hold("license", str(scene.acme_license), "r", "c", None, "t")
    return int(hold["id"])


async def call(browser: Browser, scene: Scene, route: Route) -> tuple[int, str]:
    path = route.path(scene)
    if "HOLD" in path:
        path = path.replace("HOLD", str(await _new_hold(scene)))
    if route.method == "GET":
        response = await browser.get(path)
    else:
        response = await browser.post(path, route.form(scene) if route.form else {})
    return response.status, await response.text()


async def api_call(scene: Scene, route: Route, token: str | None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await scene.world.client.get(route.path(scene), headers=headers)
    return response.status, await response.text()


def visible_text(body: str) -> str:
    """The body without random tokens (which could contain any digits)."""
    return re.sub(r'value="[A-Za-z0-9_.\-]{20,}"', 'value=""', body)


def assert_no_leak(body: str, markers: tuple[str, ...], where: str) -> None:
    text = visible_text(body)
    for marker in markers:
        assert marker not in text, f"{where} shows {marker!r}"


def test_the_table_covers_every_staff_route(sworld: StaffWorld) -> None:
    served = {
        (r.method, r.resource.canonical)
        for r in sworld.client.app.router.routes()
        if r.resource and r.resource.canonical.startswith("/staff") and r.method != "HEAD"
    }
    listed = {(r.method, r.pattern) for r in [*PAGES, *API]} | set(
        (method, path) for path, method in SPECIAL.items()
    )
    assert served == listed | ELSEWHERE


async def test_every_page_with_every_role(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    for role in ROLES:
        browser = await scene.browser(role)
        user = sworld.users[role]
        for route in PAGES:
            status, body = await call(browser, scene, route)
            assert status == expected(route, user), (role, route.method, route.path(scene), body)
            if role == "customer":
                assert_no_leak(body, GLOBEX_MARKERS, f"{route.pattern} for an acme customer")


async def test_every_api_call_with_every_role_and_without_a_token(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    for role in ROLES:
        for route in API:
            status, body = await api_call(scene, route, scene.tokens[role])
            assert status == expected(route, sworld.users[role]), (role, route.pattern, body)
            if role == "customer":
                assert_no_leak(body, GLOBEX_MARKERS, f"{route.pattern} for an acme customer")
    for route in API:
        assert (await api_call(scene, route, None))[0] == 401
        assert (await api_call(scene, route, "lmt_" + "x" * 43))[0] == 401


async def test_nobody_logged_in_sees_nothing(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    anonymous = sworld.browser()
    for route in PAGES:
        status, body = await call(anonymous, scene, route)
        if route.pattern in ("/staff", "/staff/login", "/staff/static"):
            continue
        want = 303 if route.method == "GET" else 401
        assert status == want, (route.pattern, status)
        assert_no_leak(body, ACME_MARKERS + GLOBEX_MARKERS, route.pattern)


async def test_a_customer_of_another_organization_learns_nothing(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    globex = await scene.browser("globex-customer")
    user = sworld.users["globex-customer"]
    missing = await globex.get("/staff/licenses/999999")
    for route in PAGES:
        status, body = await call(globex, scene, route)
        names_acme = "{license_id}" in route.pattern or "{flag_id}" in route.pattern
        if names_acme and user.may(route.needs or Permission.LICENSES):
            assert status == 404, (route.pattern, status)
            assert visible_text(body) == visible_text(await missing.text())
        assert_no_leak(body, ACME_MARKERS, f"{route.pattern} for a globex customer")
    for route in API:
        status, body = await api_call(scene, route, scene.tokens["globex-customer"])
        if "{license_id}" in route.pattern:
            assert status == 404
        assert_no_leak(body, ACME_MARKERS, f"{route.pattern} (API) for a globex customer")
    report = await globex.get("/staff/reports/abuse?org=acme")
    assert report.status == 404


async def test_counts_are_the_customers_own(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    acme = await scene.browser("customer")
    page = await (await acme.get("/staff/")).text()
    assert "3 in all" in page  # acme's three check-ins, not globex's five
    assert "0 / 313" in page or "3 / 313" in page
    flags = await (await acme.get("/staff/flags")).text()
    assert flags.count('href="/staff/flags/') == len(scene.acme_flags)
    licenses = await (await acme.get("/staff/api/licenses")).text()
    assert str(scene.globex_license) not in re.findall(r'"id": (\d+)', licenses)


def test_routes_name_their_permission(sworld: StaffWorld) -> None:
    """No console handler without a server-side check (login and static excepted)."""
    unguarded = []
    for route in sworld.client.app.router.routes():
        canonical = route.resource.canonical if route.resource else ""
        if not canonical.startswith("/staff") or canonical in ("/staff", "/staff/static"):
            continue
        if canonical == "/staff/login" or route.method == "HEAD":
            continue
        if not hasattr(route.handler, "permission"):
            unguarded.append((route.method, canonical))
    assert not unguarded
