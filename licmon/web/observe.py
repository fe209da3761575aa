"""The outermost middleware: request id, HTTP metrics and the optional access log.

Every log line written while a request is served carries its request id. The access log
names the route (never the raw path or query, which a careless client may fill with a key)
and, only when `log_addresses` is on, the client's network: never the address itself, and
not even that for a request about an organization whose precision is ``none``.
"""

import asyncio
import functools
import logging
import time
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import Counter, Histogram

from licmon.config import Settings
from licmon.domain.models import IpPrecision
from licmon.domain.network import network_text
from licmon.errors import LicmonError
from licmon.keys import METRICS
from licmon.logs import REQUEST_ID as REQUEST_ID_VAR
from licmon.precision_context import REQUEST_PRECISION
from licmon.web.addresses import client_address
from licmon.web.middlewares import REQUEST_ID, request_id

access_log = logging.getLogger("licmon.access")
UNMATCHED = "unmatched"
CLIENT_GONE = 499  # the client closed the connection before the answer (nginx's convention)


def observe_middleware(settings: Settings) -> Middleware:
    log_access = _access_logger(settings) if settings.access_log else None
    if log_access is not None:
        access_log.setLevel(logging.INFO)

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        request[REQUEST_ID] = request_id(request.headers.get("X-Request-Id", ""))
        token = REQUEST_ID_VAR.set(request[REQUEST_ID])
        precision_token = REQUEST_PRECISION.set(None)
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            if not response.prepared:
                response.headers.setdefault("X-Request-Id", request[REQUEST_ID])
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        except asyncio.CancelledError:
            status = CLIENT_GONE
            raise
        finally:
            seconds = time.perf_counter() - started
            _count(request, status, seconds)
            if log_access is not None:
                log_access(request, status, seconds)
            REQUEST_ID_VAR.reset(token)
            REQUEST_PRECISION.reset(precision_token)

    return observe


def route_name(request: web.Request) -> str:
    """The matched route's pattern ('/v1/checkin'), never text the client chose."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


def _count(request: web.Request, status: int, seconds: float) -> None:
    metrics, handler = request.app[METRICS], route_name(request)
    _requests_child(metrics.http_requests, handler, status).inc()
    _duration_child(metrics.http_duration, handler).observe(seconds)


@functools.lru_cache(maxsize=4096)
def _requests_child(metric: Counter, handler: str, status: int) -> Counter:
    """The labelled child, looked up once per (route, status): routes and codes are few."""
    return metric.labels(handler, str(status))


@functools.lru_cache(maxsize=1024)
def _duration_child(metric: Histogram, handler: str) -> Histogram:
    return metric.labels(handler)


def _access_logger(settings: Settings) -> Callable[[web.Request, int, float], None]:
    def log(request: web.Request, status: int, seconds: float) -> None:
        fields: dict[str, object] = {
            "method": request.method,
            "route": route_name(request),
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
        }
        if settings.log_addresses and REQUEST_PRECISION.get() is not IpPrecision.NONE:
            fields["client_network"] = _client_network(request)
        access_log.info("request", extra=fields)

    return log


def _client_network(request: web.Request) -> str | None:
    try:
        return network_text(client_address(request))
    except LicmonError:
        return None
