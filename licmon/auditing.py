"""Sealing the audit log: checkpoints written on a schedule, at shutdown and after each
command; ``audit verify`` checks the chain and the checkpoints together."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from licmon.catalog import stop_task
from licmon.domain import checkpoints
from licmon.domain.audit import StoredEntry
from licmon.keys import SETTINGS, STORE
from licmon.store.audit_seal import AuditSeal
from licmon.store.base import Store

log = logging.getLogger("licmon.audit")
Clock = Callable[[], float]


@dataclass(frozen=True)
class Verdict:
    count: int
    broken: StoredEntry | None
    seals: checkpoints.SealReport

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.seals.problems


async def seal_now(store: Store, seal: AuditSeal, now: float, kind: str = checkpoints.SEAL) -> bool:
    """Checkpoint the log as it is now; False when the last checkpoint already says so."""
    count, head = await store.audit_head()
    return await asyncio.to_thread(seal.seal, count, head, int(now), kind)


async def verify(store: Store, seal: AuditSeal) -> Verdict:
    count, broken = await store.audit_verify()
    sealed, bad = await asyncio.to_thread(seal.read)
    positions = frozenset(checkpoints.positions_needed(sealed))
    hashes = await store.audit_hashes_at(positions)
    return Verdict(count, broken, checkpoints.check(sealed, count, hashes, bad))


def seal_ctx(clock: Clock = time.time) -> Any:
    """A cleanup context: checkpoint every ``audit_checkpoint_seconds`` and at shutdown."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings, store = app[SETTINGS], app[STORE]
        seal = AuditSeal.beside(settings.database_path)
        job = asyncio.create_task(_every(store, seal, settings.audit_checkpoint_seconds, clock))
        yield
        await stop_task(job)
        await _seal_logged(store, seal, clock)

    return ctx


async def _every(store: Store, seal: AuditSeal, every: float, clock: Clock) -> None:
    while True:
        await _seal_logged(store, seal, clock)
        await asyncio.sleep(every)


async def _seal_logged(store: Store, seal: AuditSeal, clock: Clock) -> None:
    try:
        await seal_now(store, seal, clock())
    except Exception as exc:  # a failed checkpoint is retried at the next tick
        log.warning("audit checkpoint failed: %s", type(exc).__name__)
