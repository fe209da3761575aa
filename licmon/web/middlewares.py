"""One place maps every error to an answer: JSON on the API, never a traceback."""

import itertools
import logging
import re
import secrets
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from licmon.errors import LicmonError
from licmon.keys import METRICS
from licmon.web.jsonio import json_response

log = logging.getLogger(__name__)
REQUEST_ID = web.RequestKey("request_id", str)
_TOKEN = re.compile(r"[A-Za-z0-9._-]{1,64}")
_PROCESS = secrets.token_hex(4)
_SEQUENCE = itertools.count(1)
ErrorBody = Callable[[web.Request, int, str, str], web.Response]  # status, code, message


def json_error(request: web.Request, status: int, code: str, message: str) -> web.Response:
    """The API's error body (DESIGN.md, "Protocol v1")."""
    return json_response({"error": code, "message": message}, status=status)


def error_middleware_for(body: ErrorBody) -> Middleware:
    """The middleware that maps every error to ``body``'s answer; a sub-application (the
    staff console) passes its own ``body`` (HTML pages)."""

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.get(REQUEST_ID) is None:
            request[REQUEST_ID] = request_id(request.headers.get("X-Request-Id", ""))
        try:
            return await handler(request)
        except LicmonError as exc:
            response = _error(request, body, exc.status, exc.code, exc.message)
            retry_after = getattr(exc, "retry_after", None)
            if retry_after is not None:
                response.headers["Retry-After"] = str(retry_after)
            return response
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            code = (exc.reason or "error").lower().replace(" ", "_")
            return _error(request, body, exc.status, code, _http_message(exc), exc.headers)
        except Exception:
            log.exception("unhandled error", extra={"request_id": request[REQUEST_ID]})
            message = "The server failed to answer; it is logged."
            return _error(request, body, 500, "internal_error", message)

    return errors


def _error(
    request: web.Request,
    body: ErrorBody,
    status: int,
    code: str,
    message: str,
    headers: object = None,
) -> web.Response:
    if 400 <= status < 500:
        request.config_dict[METRICS].bad_requests.labels(str(status)).inc()
    response = body(request, status, code, message)
    allow = getattr(headers, "get", lambda _name: None)("Allow")
    if allow:
        response.headers["Allow"] = allow
    response.headers["X-Request-Id"] = request[REQUEST_ID]
    return response


error_middleware = error_middleware_for(json_error)


def request_id(offered: str) -> str:
    """The caller's request id when it is a plain token, else a fresh one."""
    return offered if _TOKEN.fullmatch(offered) else f"{_PROCESS}-{next(_SEQUENCE):x}"


def _http_message(exc: web.HTTPException) -> str:
    messages = {
        404: "There is nothing at this address.",
        405: "This method is not allowed here.",
        413: "The body is too large.",
    }
    return messages.get(exc.status, exc.reason or "The request was refused.")
