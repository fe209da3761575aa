"""The synchronous client: the asyncio client, run on a private event loop in a daemon thread.

Why not a second implementation on urllib: the protocol, the lease checks, the backoff and
the heartbeat then exist once and are tested once, and the heartbeat is simply a task on that
private loop — the program needs no event loop of its own and none of its threads ever waits
on the license server. The thread is a daemon, so it never keeps a program alive; ``close()``
(leaving the ``with`` block, or interpreter exit when ``release_at_exit``) releases the seat.
"""

import asyncio
import atexit
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

from licmon.client.aio import AsyncLicenseClient, check_key
from licmon.client.status import Status

T = TypeVar("T")


class LicenseClient:
    """Same options as ``AsyncLicenseClient``. ``on_change`` runs on the client's thread."""

    def __init__(
        self, server: str, key: str, product: str, *, release_at_exit: bool = True, **options: Any
    ) -> None:
        check_key(key)  # a typo is refused before any thread or connection exists
        self._runner = _LoopThread()
        try:
            self._client = self._runner.run(_build(server, key, product, options))
        except BaseException:
            self._runner.stop()
            raise
        self._release_at_exit = release_at_exit
        self._closed = False

    @property
    def status(self) -> Status:
        return self._client.status

    @property
    def licensed(self) -> bool:
        return self._client.licensed

    @property
    def machine(self) -> str:
        return self._client.machine

    def start(self) -> Status:
        """Check in, then renew in the background until ``close()``."""
        status = self._runner.run(self._client.start())
        if self._release_at_exit:
            atexit.register(self.close)
        return status

    def checkin(self) -> Status:
        return self._runner.run(self._client.checkin())

    def release(self) -> bool:
        return self._runner.run(self._client.release())

    def close(self) -> None:
        """Stop the heartbeat, release the seat, stop the thread. Idempotent."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        try:
            self._runner.run(self._client.close())
        finally:
            self._runner.stop()

    def __enter__(self) -> "LicenseClient":
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


async def _build(
    server: str, key: str, product: str, options: dict[str, Any]
) -> AsyncLicenseClient:
    return AsyncLicenseClient(server, key, product, **options)


class _LoopThread:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="licmon-client", daemon=True
        )
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def stop(self) -> None:
        if self._loop.is_closed():
            return
        self.run(_finish_tasks())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


async def _finish_tasks() -> None:
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await asyncio.get_running_loop().shutdown_asyncgens()
