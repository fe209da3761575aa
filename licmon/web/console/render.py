"""Rendering console pages: the layout's context, the navigation a user may see, and the
security headers every /staff answer carries."""

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from licmon.domain.staff import Permission, StaffUser
from licmon.web.console.auth import SESSION, USER

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
NAVIGATION = (
    ("Dashboard", "/staff/", Permission.LICENSES),
    ("My organization", "/staff/org", Permission.OWN_ORG),
    ("Licenses", "/staff/licenses", Permission.LICENSES),
    ("Flags", "/staff/flags", Permission.FLAGS),
    ("Known places", "/staff/places", Permission.LICENSES),
    ("Abuse report", "/staff/reports/abuse", Permission.REPORTS),
    ("Audit log", "/staff/audit", Permission.AUDIT),
    ("Data-subject requests", "/staff/dsr", Permission.DSR),
    ("Legal holds", "/staff/holds", Permission.HOLDS),
    ("Organization data", "/staff/org/data", Permission.ORG_DATA),
    ("Users", "/staff/users", Permission.USERS),
    ("Webhooks", "/staff/webhooks", Permission.CATALOG),
)
STATIC_PREFIX = "/staff/static/"


def navigation(user: StaffUser | None) -> list[tuple[str, str]]:
    if user is None:
        return []
    return [(label, href) for label, href, needed in NAVIGATION if user.may(needed)]


def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    user = request.get(USER)
    session = request.get(SESSION)
    full = {
        "user": user,
        "csrf": session.csrf_token if session else "",
        "nav": navigation(user),
        "path": request.path,
        **context,
    }
    return aiohttp_jinja2.render_template(f"staff/{template}", request, full, status=status)


HSTS = "max-age=31536000"  # one year; only sent over TLS (browsers ignore it on http)


def secure(response: web.StreamResponse, path: str, over_tls: bool = False) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if over_tls:
        response.headers["Strict-Transport-Security"] = HSTS
    if not path.startswith(STATIC_PREFIX):
        response.headers["Cache-Control"] = "no-store"  # pages may hold personal data


@web.middleware
async def staff_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The console sub-application's outermost middleware: it never sees a /v1 request."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects raised by handlers
        secure(exc, request.path, request.secure)
        raise
    if not response.prepared:
        secure(response, request.path, request.secure)
    return response


def see_other(location: str) -> web.Response:
    """A 303 answer to a form, as a response (so that it can carry cookies)."""
    return web.Response(status=303, headers={"Location": location})
