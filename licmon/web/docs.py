"""/docs: the API description as a browsable page, Swagger UI served from the files of the
swagger-ui-py package (Apache-2.0), never from a CDN."""

import importlib.util
from pathlib import Path

from aiohttp import web

from licmon.errors import NotFound

routes = web.RouteTableDef()
STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "docs.js": "text/javascript",
}
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>licmon API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/docs.js"></script>
</body>
</html>
"""


def swagger_dir() -> Path | None:
    """The package's static files, found without importing it (it needs nothing of ours)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "static"


@routes.get("/docs")
async def docs(request: web.Request) -> web.StreamResponse:
    response = web.Response(text=PAGE, content_type="text/html")
    response.headers["Content-Security-Policy"] = POLICY
    return response


@routes.get("/docs/{asset}")
async def asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["asset"]
    if name not in ASSETS:
        raise NotFound("There is nothing at this address.")
    folder = STATIC if name == "docs.js" else swagger_dir()
    if folder is None or not (folder / name).is_file():
        raise NotFound("The API page needs the swagger-ui-py package (pip install swagger-ui-py).")
    response = web.FileResponse(folder / name, headers={"Content-Type": ASSETS[name]})
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
