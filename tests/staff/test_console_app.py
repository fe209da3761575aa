"""The console is an aiohttp sub-application mounted at /staff: its middlewares, templates
and error pages are its own, so that a check-in never runs any of them, and the core web
layer imports nothing from the console."""

import ast
from pathlib import Path

from aiohttp import web

from licmon.web.console.render import staff_headers
from tests.staff.conftest import StaffWorld

WEB = Path(__file__).resolve().parents[2] / "licmon" / "web"


def console_app(app: web.Application) -> web.Application:
    (resource,) = [r for r in app.router.resources() if r.canonical == "/staff"]
    assert isinstance(resource, web.PrefixedSubAppResource)
    sub: web.Application = resource.get_info()["app"]
    return sub


def test_the_console_middlewares_never_run_for_the_api(sworld: StaffWorld) -> None:
    app = sworld.client.app
    assert staff_headers not in app.middlewares
    assert staff_headers in console_app(app).middlewares


def test_the_core_web_layer_does_not_import_the_console() -> None:
    for path in WEB.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            assert not any(n.startswith("licmon.web.console") for n in names), path.name


async def test_errors_are_html_on_pages_and_json_elsewhere(sworld: StaffWorld) -> None:
    client = sworld.client
    page = await client.get("/staff/no-such-page", allow_redirects=False)
    assert page.status == 404 and page.headers["Content-Type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Request-Id"]
    wrong = await client.put("/staff/login")
    assert wrong.status == 405 and "POST" in wrong.headers["Allow"]
    assert wrong.headers["Content-Type"].startswith("text/html")
    api = await client.get("/staff/api/no-such-call")
    assert api.status == 404 and (await api.json())["error"] == "not_found"
    core = await client.get("/v1/no-such-call")
    assert core.status == 404 and (await core.json())["error"] == "not_found"
    assert "Content-Security-Policy" not in core.headers
    near = await client.get("/staffroom")
    assert near.status == 404 and (await near.json())["error"] == "not_found"


async def test_every_console_path_still_answers(sworld: StaffWorld) -> None:
    client = sworld.client
    assert (await client.get("/staff", allow_redirects=False)).headers["Location"] == "/staff/"
    assert (await client.get("/staff/", allow_redirects=False)).headers["Location"] == (
        "/staff/login"
    )
    assert (await client.get("/staff/login")).status == 200
    css = await client.get("/staff/static/console.css")
    assert css.status == 200 and "Cache-Control" not in css.headers
    assert css.headers["X-Content-Type-Options"] == "nosniff"
