"""Who is asking: the session behind the cookie, CSRF on every state-changing request, and
the permission each route needs. Routes wrap their handler in ``staff_page``."""

import functools
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from licmon.domain import totp
from licmon.domain.sessions import NewSession, SessionRecord, csrf_matches
from licmon.domain.staff import Permission, StaffUser, require
from licmon.errors import Forbidden, Unauthorized
from licmon.keys import SETTINGS, STAFF_AUTH

SESSION_COOKIE = "licmon_session"
DEVICE_COOKIE = "licmon_device"  # a browser that logged in before (OWASP device cookie)
DEVICE_COOKIE_SECONDS = 180 * 86400
COOKIE_PATH = "/staff"
LOGIN_PATH = "/staff/login"
SECOND_FACTOR_PATH = "/staff/account/second-factor"
ENROLMENT_PATHS = frozenset({SECOND_FACTOR_PATH, "/staff/logout"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
USER = web.RequestKey("staff_user", StaffUser)
SESSION = web.RequestKey("staff_session", SessionRecord)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def staff_page(permission: Permission | None) -> Callable[[Handler], Handler]:
    """The handler runs only for a live session whose user holds ``permission``."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            user = await authenticate(request)
            if must_enrol(request, user) and request.path not in ENROLMENT_PATHS:
                if request.method in UNSAFE_METHODS:
                    raise Forbidden("Set up your second factor first.")
                raise web.HTTPSeeOther(SECOND_FACTOR_PATH)
            if permission is not None:
                require(user, permission)
            return await handler(request)

        guarded.permission = permission  # type: ignore[attr-defined]
        return guarded

    return wrap


def must_enrol(request: web.Request, user: StaffUser) -> bool:
    """Admins and DPOs without a second factor may only set one up (or log out)."""
    required = request.config_dict[SETTINGS].staff_second_factor_required
    return bool(required and totp.required_for(user) and not user.second_factor)


async def authenticate(request: web.Request) -> StaffUser:
    token = request.cookies.get(SESSION_COOKIE, "")
    found = await request.config_dict[STAFF_AUTH].session(token)
    if found is None:
        if request.method in UNSAFE_METHODS:
            raise Unauthorized("Your session has ended. Please log in again.")
        raise web.HTTPSeeOther(LOGIN_PATH)
    record, user = found
    if request.method in UNSAFE_METHODS:
        await check_csrf(request, record)
    request[SESSION], request[USER] = record, user
    return user


async def check_csrf(request: web.Request, record: SessionRecord) -> None:
    """The form's token must be the session's; a cross-site origin is refused outright."""
    if not same_origin(request):
        raise Forbidden("The request came from another site.")
    form = await request.post()
    offered = form.get("csrf") or request.headers.get("X-CSRF-Token", "")
    if not isinstance(offered, str) or not csrf_matches(record, offered):
        raise Forbidden("The form is out of date (CSRF check failed). Reload the page.")


def same_origin(request: web.Request) -> bool:
    """Fetch metadata when the browser sends it; else the Origin header when there is one.
    ``Origin: null`` (a sandboxed frame, a data: URL, a cross-site redirect) is refused:
    an opaque origin is never ours. Without Origin, the CSRF token alone decides."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.host


def set_session_cookie(response: web.StreamResponse, session: NewSession) -> None:
    """HttpOnly, Secure, SameSite=Strict; browsers send Secure cookies to localhost over
    plain http too (a secure context), anywhere else only over https."""
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        path=COOKIE_PATH,
        httponly=True,
        secure=True,
        samesite="Strict",
    )


def set_device_cookie(response: web.StreamResponse, token: str) -> None:
    """Sent back only to the login form; lets its owner in while strangers are locked out."""
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        path=LOGIN_PATH,
        max_age=DEVICE_COOKIE_SECONDS,
        httponly=True,
        secure=True,
        samesite="Strict",
    )


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(
        SESSION_COOKIE, path=COOKIE_PATH, secure=True, httponly=True, samesite="Strict"
    )
