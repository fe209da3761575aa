"""Console errors as HTML pages (the API under /staff/api keeps JSON, like /v1), through
the core's one error middleware with the console's own body."""

import aiohttp_jinja2
from aiohttp import web

from licmon.web.console.render import secure
from licmon.web.middlewares import error_middleware_for, json_error

API_PREFIX = "/staff/api"
TITLES = {
    400: "Bad request",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    500: "Server error",
    503: "Unavailable",
}


def console_error(request: web.Request, status: int, code: str, message: str) -> web.Response:
    if request.path.startswith(API_PREFIX):
        return json_error(request, status, code, message)
    return html_error(request, status, message)


def html_error(request: web.Request, status: int, message: str) -> web.Response:
    env = aiohttp_jinja2.get_env(request.app)
    body = env.get_template("staff/error.html").render(
        status=status,
        title=TITLES.get(status, "Error"),
        message=message,
        user=None,
        nav=[],
    )
    response = web.Response(text=body, status=status, content_type="text/html")
    secure(response, request.path)
    return response


console_errors = error_middleware_for(console_error)
