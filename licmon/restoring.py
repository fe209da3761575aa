"""Bringing a restored copy inside the rules before it may serve.

Before the copy replaces the database: its audit chain is checked against the signed
checkpoints (a copy whose log contradicts them is refused); every erasure of the ledger at or
after the backup's time is applied again; the restore is an audit entry naming who restored
it, when the copy was taken and how many entries of the log were lost with the newer state;
and a retention run folds and deletes what passed its deadline while the copy lay on a shelf.
After the rename, a ``restore`` checkpoint records the restored log, so ``audit verify``
reports the lost tail as a recorded gap rather than hiding it or failing for ever.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from licmon import auditing
from licmon.coroutines import run_coroutine
from licmon.domain.audit import AuditEntry
from licmon.domain.checkpoints import RESTORE, Checkpoint
from licmon.keys import STORE
from licmon.periodic import Episode
from licmon.store.audit_seal import AuditSeal
from licmon.store.base import Store
from licmon.store.sqlite import SqliteStore
from licmon.store.sqlite.backup import BadBackup

log = logging.getLogger(__name__)
LEDGER_SHARE_TASK = "licmon-erasure-ledger-share"
LEDGER_SHARE_SECONDS = 60.0  # how long another node's erasure may be missing from this ledger


@dataclass
class Restored:
    """What the preparation found and did, filled in as it runs."""

    taken_at: int = 0
    entries: int = 0
    head: str = ""
    entries_lost: int = 0
    erasures_reapplied: int = 0
    retention: dict[str, Any] = field(default_factory=dict)


@dataclass
class RestorePreparation:
    seal: AuditSeal
    actor_for: Callable[[Store], Awaitable[str]]  # who restores, as the copy knows them
    batch_rows: int
    outcome: Restored = field(default_factory=Restored)

    def __call__(self, copy: Path, taken_at: int | None) -> None:
        run_coroutine(lambda: self._prepare(copy, taken_at))

    async def _prepare(self, copy: Path, taken_at: int | None) -> None:
        store = SqliteStore(copy)
        await store.open()
        try:
            await self._inside_the_rules(store, taken_at)
        finally:
            await store.close()

    async def _inside_the_rules(self, store: SqliteStore, taken_at: int | None) -> None:
        verdict = await auditing.verify(store, self.seal)
        if verdict.broken is not None:
            raise BadBackup(f"the backup's audit log is broken at entry {verdict.broken.id}")
        if verdict.seals.rewritten:
            raise BadBackup(
                "the backup's audit log contradicts this server's signed checkpoints: "
                + verdict.seals.rewritten[0]
            )
        actor = await self.actor_for(store)
        out = self.outcome
        out.taken_at = taken_at if taken_at is not None else await _last_entry_time(store)
        out.entries, out.head = await store.audit_head()
        out.entries_lost = max(0, verdict.seals.sealed_count - out.entries)
        out.erasures_reapplied = await store.reapply_erasures(out.taken_at)
        await store.audit_record(
            AuditEntry(int(time.time()), actor, "backup.restore", "database", "ok", self._details())
        )
        out.retention = await store.run_retention(actor, self.batch_rows)

    def _details(self) -> dict[str, Any]:
        out = self.outcome
        return {
            "taken_at": out.taken_at,
            "entries_restored": out.entries,
            "entries_lost": out.entries_lost,
            "erasures_reapplied": out.erasures_reapplied,
        }

    def record_restore(self) -> None:
        """After the rename: the restored log is the new base of the checkpoints."""
        out = self.outcome
        self.seal.append(Checkpoint(out.entries, out.head, int(time.time()), RESTORE))


async def _last_entry_time(store: Store) -> int:
    last = await store.audit_recent(1)
    return last[0].entry.at if last else 0


async def reapply_newer_erasures(store: Store) -> int:
    """Erasures the database may not know of: not older than its last audit entry (an
    erasure writes its entry at its cut-off, so a database that saw it has an entry at least
    that late; one in the same second is applied again: nothing more to erase, held rows
    restricted again).
    Catches a database put back by hand, without ``licmon restore``."""
    return await store.reapply_erasures(await _last_entry_time(store))


async def erasure_ledger_ctx(app: web.Application) -> AsyncIterator[None]:
    """Before the server answers anything: nothing erased may be back, whichever node erased
    it; then, where several nodes share the database, the other nodes' erasure lines are
    copied in every ``LEDGER_SHARE_SECONDS``."""
    store = app[STORE]
    await store.share_erasure_ledger()
    await reapply_newer_erasures(store)
    sharing = (  # one node alone has no other node's line to copy, ever
        asyncio.create_task(_share_ledger(store), name=LEDGER_SHARE_TASK)
        if store.shared_by_nodes()
        else None
    )
    yield
    if sharing is not None:
        sharing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sharing


async def _share_ledger(store: Store) -> None:
    episode = Episode(log, "erasure ledger not shared; retrying", "erasure ledger shared again")
    while True:
        await asyncio.sleep(LEDGER_SHARE_SECONDS)
        try:
            await store.share_erasure_ledger()
        except Exception as exc:
            episode.failed(exc)
        else:
            episode.succeeded()
