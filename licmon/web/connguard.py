"""Idle sockets cannot hold the server: at most ``limit`` concurrent connections per
address (IPv6: per /64; more are closed at once), and a connection that has not sent a
whole request head within ``head_timeout`` seconds (slowloris) is closed.

aiohttp has neither, so the app's connection factory is wrapped (``install``): each
connection's protocol is a ``RequestHandler`` that counts itself in and out of its address's
slots and checks, every ``head_timeout``, that a new request arrived or one is running."""

import asyncio
import ipaddress
from collections import Counter
from typing import Any, cast

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_server import Server

from licmon.domain.logins import throttle_key


class ConnectionGuard:
    def __init__(self, limit: int, head_timeout: float) -> None:
        self.limit = limit
        self.head_timeout = head_timeout
        self.open: Counter[str] = Counter()
        self.refused = 0
        self.timed_out = 0

    def admit(self, key: str) -> bool:
        if self.open[key] >= self.limit:
            self.refused += 1
            return False
        self.open[key] += 1
        return True

    def leave(self, key: str) -> None:
        self.open[key] -= 1
        if self.open[key] <= 0:
            del self.open[key]


def peer_key(transport: asyncio.BaseTransport) -> str:
    peer = transport.get_extra_info("peername")
    try:
        return throttle_key(ipaddress.ip_address(peer[0]))
    except (TypeError, ValueError, IndexError):
        return "unix"  # a Unix socket: one local peer


class GuardedHandler(RequestHandler):
    def __init__(self, guard: ConnectionGuard, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard = guard
        self._guard_key: str | None = None
        self._seen_requests = 0
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        key = peer_key(transport)
        if not self._guard.admit(key):
            cast(asyncio.Transport, transport).abort()
            return
        self._guard_key = key
        self._arm()

    def _arm(self) -> None:
        self._head_timer = self._loop.call_later(self._guard.head_timeout, self._check_head)

    def _check_head(self) -> None:
        """Nothing new and nothing running since the last check: a slow or idle head."""
        idle = self._request_count == self._seen_requests and self._current_request is None
        self._seen_requests = self._request_count
        if idle and self.transport is not None:
            self._guard.timed_out += 1
            self.force_close()
            self.transport.close()
            return
        self._arm()

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        if self._guard_key is not None:
            self._guard.leave(self._guard_key)
            self._guard_key = None
        super().connection_lost(exc)


class GuardedServer(Server):
    def __init__(self, guard: ConnectionGuard, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = guard

    def __call__(self) -> RequestHandler:
        return GuardedHandler(self.guard, self, loop=self._loop, **self._kwargs)


def install(app: web.Application, limit: int, head_timeout: float) -> ConnectionGuard:
    """Make ``app``'s connections guarded (call before the app is run)."""
    guard = ConnectionGuard(limit, head_timeout)
    make_handler = app._make_handler

    def guarded(**kwargs: Any) -> Server:
        base = make_handler(**kwargs)
        return GuardedServer(
            guard,
            base.request_handler,
            request_factory=base.request_factory,
            handler_cancellation=base.handler_cancellation,
            loop=base._loop,
            **base._kwargs,
        )

    object.__setattr__(app, "_make_handler", guarded)  # aiohttp offers no public hook
    return guard
