"""Admission control: at most ``max_inflight_checkins`` check-ins and releases at once.

Beyond the bound a request is answered 503 with ``Retry-After`` before its body is read,
so an overload costs almost nothing; ``/readyz`` says "shedding" for a moment after.

While the server drains for a shutdown, every request but the health checks is answered the
same way (503, ``Retry-After``, ``Connection: close``), so clients and load balancers move
away before the listener closes and nothing that was received goes unanswered.
"""

import time
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from licmon.web.jsonio import json_response

ADMITTED_PATHS = frozenset({"/v1/checkin", "/v1/release"})
HEALTH_PATHS = frozenset({"/healthz", "/readyz"})
RETRY_AFTER_SECONDS = 1
SHEDDING_HOLD_SECONDS = 5.0  # /readyz stays 503 this long after the last refusal


@dataclass
class Admission:
    limit: int
    inflight: int = 0
    refused: int = 0
    draining: bool = False
    _last_refusal: float = -1e9

    @property
    def shedding(self) -> bool:
        return time.monotonic() - self._last_refusal < SHEDDING_HOLD_SECONDS

    def middleware(self) -> Middleware:
        @web.middleware
        async def admit(request: web.Request, handler: Handler) -> web.StreamResponse:
            if self.draining and request.path not in HEALTH_PATHS:
                return _unavailable("shutting_down", "The server is shutting down; retry.")
            if request.path not in ADMITTED_PATHS:
                return await handler(request)
            if self.inflight >= self.limit:
                return self._refuse()
            self.inflight += 1
            try:
                response = await handler(request)
            finally:
                self.inflight -= 1
            if self.draining:  # answered during the drain: the client reconnects elsewhere
                response.force_close()
            return response

        return admit

    def _refuse(self) -> web.Response:
        self.refused += 1
        self._last_refusal = time.monotonic()
        return _unavailable("overloaded", "The server is busy; retry after a second.")


def _unavailable(error: str, message: str) -> web.Response:
    response = json_response({"error": error, "message": message}, status=503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.force_close()
    return response


ADMISSION = web.AppKey("admission", Admission)
