"""Console errors as HTML pages (the API under /staff/api keeps JSON, like /v1)."""

import aiohttp_jinja2
from aiohttp import web

from licmon.web.console.render import secure

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


def wants_html(request: web.Request) -> bool:
    path = request.path
    return (path == "/staff" or path.startswith("/staff/")) and not path.startswith("/staff/api")


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
