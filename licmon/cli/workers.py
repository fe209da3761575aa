"""``licmon serve --workers N``: N processes answering on one port, supervised.

Every worker is a whole ``licmon serve`` of its own (its event loop, signer, detectors and
store pool), listening with SO_REUSEPORT, so the kernel spreads new connections over them.
Each worker is a node of the cluster on PostgreSQL (detector sharing, job locks): several
workers need ``database_url``; on SQLite one process is the single writer, so ``--workers``
above 1 is refused.

The parent holds the data directory's server lock and a reservation of the port, and
supervises: SIGTERM or SIGINT to it drains every worker (each runs the usual orderly stop)
and it exits 0 when all of them stopped cleanly; SIGHUP is passed on (GeoIP reload). A
worker that dies is started again; one that keeps dying (``RESTART_LIMIT`` times within
``RESTART_WINDOW_SECONDS``) stops them all and the parent exits non-zero.
"""

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from aiohttp import web

from licmon.config import Settings
from licmon.errors import ConfigError, LicmonError

log = logging.getLogger("licmon")
SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None
RESTART_LIMIT = 5
RESTART_WINDOW_SECONDS = 60.0
STOP_GRACE_SECONDS = 5.0  # beyond shutdown_timeout, before a worker is killed
POLL_SECONDS = 0.1
ORPHAN_POLL_SECONDS = 1.0


class WorkersFailed(LicmonError):
    status = 500
    code = "workers_failed"


def refuse_unsupported(settings: Settings) -> None:
    """One clear line when ``workers`` cannot be honoured."""
    if settings.workers > 1 and not settings.database_url:
        raise ConfigError(
            "--workers above 1 needs PostgreSQL (database_url): on SQLite one process "
            "is the single writer"
        )


@contextlib.contextmanager
def reserved_port(host: str, port: int) -> Iterator[int]:
    """Bind (not listen) the address with SO_REUSEPORT: a port taken by another program
    fails here with one line, port 0 becomes a real port, and it stays ours meanwhile."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def worker_commands(port: int, config_file: Path | None, settings: Settings) -> list[list[str]]:
    """A worker is ``licmon serve`` itself, told who supervises it and its number."""
    command = [sys.executable, "-m", "licmon", "serve", "--worker-of", str(os.getpid())]
    command += ["--host", settings.host, "--port", str(port)]
    command += ["--data-dir", str(settings.data_dir)]
    command += ["--config", str(config_file)] if config_file else []
    return [[*command, "--worker-index", str(index)] for index in range(settings.workers)]


def worker_settings(settings: Settings, index: int) -> Settings:
    """A worker's own settings: its metrics, when on a port of their own, on
    ``metrics_port + index`` (each worker is a node with its own counters)."""
    if not settings.metrics_port:
        return settings
    return dataclasses.replace(settings, metrics_port=settings.metrics_port + index)


@dataclass
class Supervisor:
    commands: list[list[str]]  # one per worker
    stop_seconds: float
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    restarts: deque[float] = field(default_factory=deque)
    stopping: bool = False

    def run(self) -> int:
        """Start the workers, keep them running until signalled; the exit code."""
        previous = self._handle_signals()
        try:
            self.workers = [self._start(index) for index in range(len(self.commands))]
            log.info("licmon workers started", extra={"workers": len(self.workers)})
            failed = self._watch()
            clean = self._stop_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed:
            raise WorkersFailed(
                f"a worker failed {RESTART_LIMIT} times within "
                f"{RESTART_WINDOW_SECONDS:.0f} s; licmon serve stopped"
            )
        return 0 if clean else 1

    def _start(self, index: int) -> subprocess.Popen[bytes]:
        # our own interpreter and arguments; stdout and stderr: the parent's
        return subprocess.Popen(self.commands[index])  # noqa: S603

    def _watch(self) -> bool:
        """Until signalled; True when a worker kept failing."""
        while not self.stopping:
            for index, worker in enumerate(self.workers):
                if worker.poll() is None:
                    continue
                log.warning(
                    "licmon worker exited; starting another",
                    extra={"pid": worker.pid, "exit_code": worker.returncode},
                )
                if self._too_many_restarts():
                    return True
                self.workers[index] = self._start(index)
            time.sleep(POLL_SECONDS)
        return False

    def _too_many_restarts(self) -> bool:
        now = time.monotonic()
        self.restarts.append(now)
        while self.restarts and now - self.restarts[0] > RESTART_WINDOW_SECONDS:
            self.restarts.popleft()
        return len(self.restarts) >= RESTART_LIMIT

    def _stop_all(self) -> bool:
        """SIGTERM to every worker (each drains), SIGKILL to any still running after the
        budget; True when every worker stopped on its own with exit code 0."""
        self._send(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_seconds + STOP_GRACE_SECONDS
        clean = True
        for worker in self.workers:
            try:
                code = worker.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                worker.kill()
                code = worker.wait()
            clean = clean and code == 0
        log.info("licmon workers stopped", extra={"clean": clean})
        return clean

    def _send(self, sig: signal.Signals) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    worker.send_signal(sig)

    def _handle_signals(self) -> dict[signal.Signals, SignalHandler]:
        def stop(_sig: int, _frame: FrameType | None) -> None:
            self.stopping = True

        def forward(sig: int, _frame: FrameType | None) -> None:
            self._send(signal.Signals(sig))

        handlers = {signal.SIGTERM: stop, signal.SIGINT: stop, signal.SIGHUP: forward}
        return {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}


def orphan_watch(parent_pid: int) -> Callable[[web.Application], AsyncIterator[None]]:
    """A worker whose supervisor is gone stops itself (orderly, as on SIGTERM)."""

    async def watch(app: web.Application) -> AsyncIterator[None]:
        async def poll() -> None:
            while os.getppid() == parent_pid:
                await asyncio.sleep(ORPHAN_POLL_SECONDS)
            os.kill(os.getpid(), signal.SIGTERM)

        task = asyncio.create_task(poll())
        yield
        task.cancel()

    return watch
