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
    store = request.app[STORE]
    health = store.writer_health()
    if not health.alive:
        return "writer_stopped"
    if health.storage_failing:
        return "storage_full"
    if health.queue_depth > request.app[SETTINGS].ready_queue_max:
        return "backlogged"
    if request.app[ADMISSION].shedding:
        return "shedding"
    with contextlib.suppress(Exception):
        await asyncio.wait_for(store.check_writable(), WRITE_CHECK_SECONDS)
        return "writable"
    return "not_writable"


@routes.get("/.well-known/jwks.json")
async def jwks(request: web.Request) -> web.Response:
    response = json_response(request.app[KEYRING].jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return json_response(OPENAPI)
