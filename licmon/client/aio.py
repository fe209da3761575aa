"""The asyncio client: check in, verify the lease, keep it, renew it, release it.

One rule runs through it: only a verified grant or a well-formed denial changes what the
program may do. Anything else (no network, a failing or throttling server, an answer that
does not verify) leaves the program working on its last lease until that lease's grace ends.
"""

import asyncio
import base64
import contextlib
import logging
import os
import random
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

from licmon.client.cache import ClientFiles
from licmon.client.fingerprint import machine_fingerprint
from licmon.client.lease import Expected, Lease, LeaseRejected, TrustedKeys, verify_lease
from licmon.client.status import NOT_CHECKED, RELEASED, State, Status, denied, granted, offline
from licmon.client.transport import (
    ClientError,
    Denial,
    Grant,
    KeyTypo,
    ServerTrouble,
    Timing,
    Transport,
)
from licmon.domain import license_keys

log = logging.getLogger("licmon.client")
PRODUCT_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MACHINE_RE = re.compile(r"[\x21-\x7e]{8,128}")
NONCE_BYTES = 32

StatusCallback = Callable[[Status], None]
Sleep = Callable[[float], Awaitable[None]]


def check_key(key: str) -> str:
    """The key's canonical form; KeyTypo, before any network call, when its check fails."""
    canonical = license_keys.canonical(key) if isinstance(key, str) else None
    if canonical is None:
        raise KeyTypo(
            "The license key is mistyped: compare it with the one you were given "
            "(LM- and 30 letters and digits; its last character checks the others)."
        )
    return canonical


class AsyncLicenseClient:
    """A program's license, kept valid in the background.

    ``trusted_keys`` pins the server's public keys (recommended: ship them with the program).
    Without it the client trusts the server's JWKS on first use and, with a ``state_dir``,
    pins it there for every later run. ``state_dir`` also keeps the last valid lease, so the
    program starts offline within grace; without it nothing is written to disk.
    """

    def __init__(
        self,
        server: str,
        key: str,
        product: str,
        *,
        machine: str | None = None,
        trusted_keys: TrustedKeys | None = None,
        state_dir: Path | None = None,
        issuer: str | None = None,
        app_version: str | None = None,
        timing: Timing | None = None,
        on_change: StatusCallback | None = None,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        canonical = check_key(key)
        if not isinstance(product, str) or not PRODUCT_RE.fullmatch(product):
            raise ClientError("The product code must be 1-64 of a-z, 0-9, '.', '_' or '-'.")
        self.product = product
        self.machine = machine or machine_fingerprint(product, fallback_dir=state_dir)
        if not MACHINE_RE.fullmatch(self.machine):
            raise ClientError("The machine id must be 8-128 printable characters, no spaces.")
        self._timing = timing or Timing()
        self._transport = Transport(server, self._timing.timeout, session)
        self._key = key.strip()
        self._files = ClientFiles(state_dir, product, canonical) if state_dir else None
        self._keys = trusted_keys
        self._issuer = issuer
        self._app_version = app_version
        self._on_change = on_change
        self._clock = clock
        self._sleep = sleep
        self._rng = random.Random()
        self._lease: Lease | None = None
        self._status = NOT_CHECKED
        self._problem: str | None = None
        self._trouble: ServerTrouble | None = None
        self._loaded = False
        self._closed = False
        self._lock = asyncio.Lock()
        self._heartbeat: asyncio.Task[None] | None = None
        self._borrow_days: int | None = None
        self._installation = new_nonce()  # replaced by the saved one, if any
        self._last_lease_id: str | None = None
        self._process = str(os.getpid())

    # -- what the program asks
    @property
    def status(self) -> Status:
        """The latest status; a lease that was not renewed in time falls back on its grace."""
        status, now = self._status, self._clock()
        if status.licensed and status.lease is not None and now >= status.lease.expires_at:
            problem = self._problem or "The lease was not renewed in time"
            return offline(status.lease, problem, now, self._timing.leeway)
        return status

    @property
    def licensed(self) -> bool:
        return self.status.licensed

    async def start(self) -> Status:
        """Check in, then keep the lease renewed in the background until ``close()``."""
        status = await self.checkin()
        self.start_heartbeat()
        return status

    async def checkin(self) -> Status:
        """Check in now. Server trouble is retried with backoff and jitter (Retry-After
        honoured) within ``timing.attempts`` tries and ``timing.max_wait`` seconds of waiting."""
        waited = 0.0
        status = await self._attempt()
        for attempt in range(1, self._timing.attempts):
            trouble = self._trouble
            if trouble is None:
                break
            delay = self._retry_delay(trouble, attempt)
            if waited + delay > self._timing.max_wait:
                break
            waited += delay
            await self._sleep(delay)
            status = await self._attempt()
        return status

    async def borrow(self, days: int) -> Status:
        """Take the seat for ``days`` (within the license's max_borrow_days): the lease then
        needs no heartbeat until it ends. ``release()`` returns it early."""
        if not isinstance(days, int) or not 1 <= days <= 3650:
            raise ClientError("Borrow for 1-3650 whole days.")
        self._borrow_days = days
        try:
            return await self.checkin()
        finally:
            self._borrow_days = None

    async def release(self) -> bool:
        """Give the seat back. False when the server cannot be reached: the seat then frees
        itself when the lease ends, and the saved lease is kept for offline use."""
        async with self._lock:
            body = {
                "key": self._key,
                "product": self.product,
                "machine": self.machine,
                "process": self._process,
            }
            try:
                released = await self._transport.release(body, self._timing.release_timeout)
            except ServerTrouble as trouble:
                log.info("the seat was not released: %s", trouble.problem)
                return False
            if released:
                self._drop_lease()
                self._set(RELEASED)
            return released

    async def close(self, *, release: bool = True) -> None:
        """Stop the heartbeat, release the seat if one is held (and ``release``), close
        connections. Idempotent."""
        if self._closed:
            return
        self._closed = True
        await self.stop_heartbeat()
        if release and self._lease is not None and self._status.licensed:
            await self.release()
        await self._transport.close()

    def start_heartbeat(self) -> None:
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._beat(), name="licmon-heartbeat")

    async def stop_heartbeat(self) -> None:
        task, self._heartbeat = self._heartbeat, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def __aenter__(self) -> "AsyncLicenseClient":
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()

    # -- one check-in
    async def _attempt(self) -> Status:
        if self._closed:
            return self.status
        async with self._lock, self._chain_turn():
            self._load_saved()
            self._load_chain()
            nonce = new_nonce()
            self._trouble = None
            try:
                keys = await self._trusted_keys()
                path = "/v1/checkin" if self._borrow_days is None else "/v1/borrow"
                answer = await self._transport.checkin(self._request(nonce), path)
                return self._set(self._judge(answer, keys, nonce))
            except ServerTrouble as trouble:
                self._trouble = trouble
                return self._set(self._offline(trouble.problem))
            except LeaseRejected as rejected:
                log.warning("a lease from the server was rejected: %s", rejected.message)
                problem = f"The license server's answer could not be verified: {rejected.message}"
                return self._set(self._offline(problem))

    def _judge(self, answer: Grant | Denial, keys: TrustedKeys, nonce: str) -> Status:
        if isinstance(answer, Denial):
            self._drop_lease()
            return denied(answer.reason, answer.seats)
        lease = verify_lease(answer.lease, keys, self._expected(nonce))
        self._lease, self._problem = lease, None
        self._last_lease_id = lease.lease_id or self._last_lease_id
        if self._files is not None:
            self._files.write_chain(self._installation, self._last_lease_id)
            self._files.write_lease(lease.token)
        return granted(lease)

    def _request(self, nonce: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "key": self._key,
            "product": self.product,
            "machine": self.machine,
            "nonce": nonce,
            "client_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._clock())),
        }
        if self._app_version:
            body["app_version"] = self._app_version
        body["process"] = self._process
        body["installation"] = self._installation
        if self._last_lease_id is not None:
            body["previous"] = self._last_lease_id
        if self._borrow_days is not None:
            body["days"] = self._borrow_days
        return body

    def _expected(self, nonce: str | None) -> Expected:
        return Expected(
            self.product, self.machine, nonce, self._clock(), self._timing.leeway, self._issuer
        )

    async def _trusted_keys(self) -> TrustedKeys:
        if self._keys is None:
            try:
                keys = TrustedKeys.from_jwks(await self._transport.jwks())
            except ValueError:
                raise ServerTrouble("The license server's keys are not understood") from None
            if self._files is not None:
                self._files.write_keys(keys)
            log.info("the license server's keys are trusted from first use")
            self._keys = keys
        return self._keys

    def _load_saved(self) -> None:
        """Once: the pinned keys and the last valid lease, when a state directory is kept."""
        if self._loaded or self._files is None:
            return
        self._loaded = True
        self._keys = self._keys or self._files.read_keys()
        token = self._files.read_lease()
        if token is None or self._keys is None:
            return
        try:
            self._lease = verify_lease(token, self._keys, self._expected(None))
        except LeaseRejected as rejected:
            log.warning("the saved lease was ignored: %s", rejected.message)

    def _chain_turn(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Instances of the program on this machine share one chain: one check-in at a time."""
        return self._files.chain_turn() if self._files else contextlib.nullcontext()

    def _load_chain(self) -> None:
        """The installation's secret (made and kept at its first run) and the last lease any
        instance of it got, read again before every check-in."""
        if self._files is None:
            return
        saved = self._files.read_chain()
        if saved is None:
            self._files.write_chain(self._installation, self._last_lease_id)
        else:
            self._installation, self._last_lease_id = saved

    def _offline(self, problem: str) -> Status:
        self._problem = problem
        return offline(self._lease, problem, self._clock(), self._timing.leeway)

    def _drop_lease(self) -> None:
        self._lease = None
        if self._files is not None:
            self._files.forget_lease()

    def _set(self, status: Status) -> Status:
        previous, self._status = self._status, status
        changed = (previous.state, previous.reason) != (status.state, status.reason)
        if changed and self._on_change is not None:
            try:
                self._on_change(status)
            except Exception:
                log.exception("the program's on_change callback failed")
        return status

    # -- the heartbeat
    async def _beat(self) -> None:
        failures = 0 if self._status.state is State.LICENSED else 1
        while True:
            await self._sleep(self._next_beat(failures))
            try:
                status = await self._attempt()
            except Exception:  # a heartbeat must never stop a working program
                log.exception("the license heartbeat failed")
                failures += 1
                continue
            if status.reason == "invalid_key":
                return  # this key will not become valid; nothing left to renew
            failures = 0 if status.state is State.LICENSED else failures + 1

    def _next_beat(self, failures: int) -> float:
        if failures == 0 and self._lease is not None:
            return self._timing.heartbeat(self._lease.lifetime)
        if self._trouble is not None:
            return self._retry_delay(self._trouble, max(1, failures))
        return self._timing.backoff(max(1, failures), self._rng)

    def _retry_delay(self, trouble: ServerTrouble, failures: int) -> float:
        if trouble.retry_after is not None:
            return trouble.retry_after * self._rng.uniform(1.0, 1.1)
        return self._timing.backoff(failures, self._rng)


def new_nonce() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(NONCE_BYTES)).rstrip(b"=").decode()
