"""Liveness, readiness, the published signing keys and the API description."""

import asyncio
import contextlib

from aiohttp import web

from licmon.keys import GEO, INDEX, KEYRING, SETTINGS, STORE
from licmon.web.admission import ADMISSION
from licmon.web.jsonio import json_response
from licmon.web.openapi import OPENAPI

routes = web.RouteTableDef()
WRITE_CHECK_SECONDS = 2.0


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "alive"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """Ready: the writer runs, its queue is not backed up, a write commits; GeoIP's state."""
    checks = {"store": await _store_state(request), **request.app[GEO].status()}
    checks["write_queue"] = str(request.app[STORE].writer_health().queue_depth)
    checks["licenses"] = str(len(request.app[INDEX]))
    wal = getattr(request.app[STORE], "wal", None)
    if wal is not None:
        checks["wal_bytes"] = str(wal.wal_bytes)
        checks["wal"] = "pinned_by_a_reader" if wal.pinned else "ok"
    ready = checks["store"] == "writable"
    return json_response(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status=200 if ready else 503,
    )


async def _store_state(request: web.Request) -> str:
    trouble = _store_trouble(request)
    if trouble is not None:
        return trouble
    with contextlib.suppress(Exception):
        await asyncio.wait_for(request.app[STORE].check_writable(), WRITE_CHECK_SECONDS)
        return "writable"
    return "not_writable"


def _store_trouble(request: web.Request) -> str | None:
    """The first reason not to be ready that needs no database round trip, if any."""
    health = request.app[STORE].writer_health()
    admission = request.app[ADMISSION]
    states = (
        (admission.draining, "draining"),
        (not health.alive, "writer_stopped"),
        (health.storage_failing, "storage_full"),
        (health.database_unreachable, "database_unreachable"),
        (health.queue_depth > request.app[SETTINGS].ready_queue_max, "backlogged"),
        (admission.shedding, "shedding"),
    )
    return next((state for applies, state in states if applies), None)


@routes.get("/.well-known/jwks.json")
async def jwks(request: web.Request) -> web.Response:
    response = json_response(request.app[KEYRING].jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return json_response(OPENAPI)
