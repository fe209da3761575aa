"""PostgresStore's personal-data methods: the gateway, requests, holds, retention, audit.

Whatever reads a personal column runs as the gateway role (``_gateway``), in one
transaction with its audit entry; the rest runs as licmon's normal role, which PostgreSQL
itself stops from selecting those columns.
"""

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from licmon.domain.access import ReadContext
from licmon.domain.audit import SYSTEM_ACTOR, AuditEntry, StoredEntry, first_broken
from licmon.domain.models import IpPrecision, Org
from licmon.domain.subjects import Subject, SubjectKind
from licmon.errors import ConfigError
from licmon.store.erasure_ledger import ErasureLedger
from licmon.store.postgres import (
    audit_sql,
    catalog,
    dsr_correct,
    dsr_sql,
    erasure_lines,
    ledger_sql,
    machine_retention_sql,
    org_data,
    retention_sql,
    vault,
)
from licmon.store.postgres.audit_sql import Conn
from licmon.store.postgres.plumbing import PostgresPlumbing
from licmon.store.postgres.rowdicts import scalar

T = TypeVar("T")

POLICY_MARGIN = 3600


class PostgresPrivacy(PostgresPlumbing):
    usage_min_orgs = 3  # usage_daily publishes no cell fed by fewer organizations
    data_dir: Path | None = None  # this node's data directory: the erasure ledger's place

    async def update_org(
        self,
        slug: str,
        *,
        ip_precision: IpPrecision | None = None,
        retention_days: int | None = None,
        actor: str = SYSTEM_ACTOR,
    ) -> Org:
        changes: dict[str, Any] = {}
        if ip_precision is not None:
            changes["ip_precision"] = ip_precision.value
        if retention_days is not None:
            changes["retention_days"] = retention_days
        return await self._write(
            partial(catalog.update_org, slug=slug, changes=changes, now=self._now(), actor=actor)
        )

    async def read_connections(self, ctx: ReadContext, subject: Subject) -> list[dict[str, Any]]:
        selection = vault.Selection(subject, ctx, self._now())
        rows = await self._gateway(partial(vault.read_connections, selection=selection))
        self._count_read(ctx)
        return rows

    async def dsr_export(self, ctx: ReadContext, subject: Subject) -> dict[str, Any]:
        export = await self._gateway(
            partial(dsr_sql.export, ctx=ctx, subject=subject, now=self._now())
        )
        self._count_read(ctx)
        return export

    async def dsr_erase(self, ctx: ReadContext, subject: Subject) -> dict[str, Any]:
        now = self._now()
        erase = partial(dsr_sql.erase, ctx=ctx, subject=subject, now=now)
        return await self._gateway(self._ledgered(erase, subject, ctx, now))

    async def dsr_restrict(self, ctx: ReadContext, subject: Subject) -> dict[str, Any]:
        return await self._gateway(
            partial(dsr_sql.restrict, ctx=ctx, subject=subject, now=self._now())
        )

    async def dsr_correct_machine(
        self, ctx: ReadContext, fingerprint: str, from_license: int, to_license: int
    ) -> dict[str, Any]:
        move = partial(
            dsr_correct.move_machine,
            ctx=ctx,
            fingerprint=fingerprint,
            from_license=from_license,
            to_license=to_license,
            now=self._now(),
        )
        return await self._gateway(move)

    async def dsr_correct_org(self, ctx: ReadContext, slug: str, name: str) -> dict[str, Any]:
        rename = partial(dsr_correct.rename_org, ctx=ctx, slug=slug, name=name, now=self._now())
        return await self._write(rename)

    async def org_export(self, ctx: ReadContext, slug: str) -> dict[str, Any]:
        return await self._gateway(partial(org_data.export, ctx=ctx, slug=slug, now=self._now()))

    async def org_erase(self, ctx: ReadContext, slug: str) -> dict[str, Any]:
        subject = Subject(SubjectKind.ORG, slug)
        now = self._now()
        erase = partial(org_data.erase, ctx=ctx, slug=slug, now=now)
        return await self._gateway(self._ledgered(erase, subject, ctx, now))

    def _ledger(self) -> ErasureLedger:
        if self.data_dir is None:
            raise ConfigError("erasures need this node's data directory (the erasure ledger)")
        return ErasureLedger(self.data_dir, shared=True)

    def _ledgered(
        self, erase: Callable[[Conn], T], subject: Subject, ctx: ReadContext, now: int
    ) -> Callable[[Conn], T]:
        """The erasure, then its line in the erasure ledger, synced before the commit."""

        def run(conn: Conn) -> T:
            result = erase(conn)
            erasure_lines.share(conn, self._ledger().record(subject, ctx.org_id, now))
            return result

        return run

    async def share_erasure_ledger(self) -> int:
        """Copy the other nodes' erasure lines into this node's ledger (and put back in the
        database the lines it lost); how many lines this node's ledger gained."""
        ledger = self._ledger()
        mine = await asyncio.to_thread(ledger.entries)
        lines = await self._write(partial(erasure_lines.exchange, mine=mine), bulk=True)
        return await asyncio.to_thread(ledger.merge, lines)

    async def reapply_erasures(self, since: int) -> int:
        """Erase again what the erasure ledger says was erased at or after ``since``."""
        ledger = self._ledger()
        erasures = await asyncio.to_thread(ledger.entries, since)
        if not erasures:
            return 0
        reapply = partial(ledger_sql.reapply, ledger=ledger, erasures=erasures, now=self._now())
        return await self._gateway(reapply)

    async def add_hold(
        self, scope: str, ref: str, reason: str, citation: str, expires_at: int | None, actor: str
    ) -> dict[str, Any]:
        return await self._write(
            partial(
                dsr_sql.add_hold,
                scope=scope,
                ref=ref,
                reason=reason,
                citation=citation,
                expires_at=expires_at,
                actor=actor,
                now=self._now(),
            )
        )

    async def list_holds(self, active_only: bool = True) -> list[dict[str, Any]]:
        return await self._read(
            partial(dsr_sql.list_holds, now=self._now(), active_only=active_only)
        )

    async def release_hold(self, hold_id: int, actor: str) -> dict[str, Any]:
        return await self._write(
            partial(dsr_sql.release_hold, hold_id=hold_id, actor=actor, now=self._now()), bulk=True
        )

    async def run_retention(
        self, actor: str = SYSTEM_ACTOR, batch_size: int = 1000, pause: float = 0.0
    ) -> dict[str, Any]:
        """Fold and delete expired rows in short batches, so check-ins keep their latency."""
        now = self._now()
        run_id = await self._write(partial(retention_sql.begin_run, actor=actor, now=now))
        reduced = await self._apply_changed_policies(batch_size, pause)
        plan = await self._read(
            partial(retention_sql.usage_plan, now=now, min_orgs=self.usage_min_orgs)
        )
        fold = partial(retention_sql.fold_batch, now=now, limit=batch_size, plan=plan)
        counts = {"reduced": reduced, "folded": await self._batches(fold, batch_size, pause)}
        return await self._gateway(
            partial(
                retention_sql.finish_run,
                run_id=run_id,
                now=now,
                counts=counts,
                finished=self._now(),
            )
        )

    async def _apply_changed_policies(self, window: int, pause: float) -> int:
        """Re-apply precision and retention to stored rows of organizations that changed
        them since the last run (with a margin for check-ins then in flight), window by
        window of row ids; nothing to scan when no organization changed."""
        since = await self._read(retention_sql.last_run_start) - POLICY_MARGIN
        orgs = await self._read(partial(retention_sql.orgs_changed_since, since=since))
        if not orgs:
            return 0
        reduced = await self._gateway(partial(retention_sql.reduce_flag_evidence, orgs=orgs))
        await self._write(partial(machine_retention_sql.tighten_deadlines, orgs=orgs), bulk=True)
        low, high = await self._read(retention_sql.id_range)
        for start in range(low, high + 1, window):
            reduced += await self._gateway(
                partial(retention_sql.apply_policy, orgs=orgs, start=start, end=start + window - 1)
            )
            await asyncio.sleep(pause)
        return reduced

    async def _batches(self, step: Callable[[Conn], int], size: int, pause: float) -> int:
        total = 0
        while (done := await self._write(step, bulk=True)) > 0:
            total += done
            if done < size:
                break
            await asyncio.sleep(pause)
        return total

    async def retention_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        return await self._read(partial(retention_sql.runs, limit=limit))

    async def audit_verify(self) -> tuple[int, StoredEntry | None]:
        """How many entries were checked, and the first broken one (None: the chain holds)."""
        return await self._read(_verify)

    async def audit_recent(self, limit: int = 50, target: str | None = None) -> list[StoredEntry]:
        return await self._read(partial(audit_sql.recent, limit=limit, target=target))

    async def audit_head(self) -> tuple[int, str]:
        return await self._read(audit_sql.head)

    async def audit_hashes_at(self, positions: frozenset[int]) -> dict[int, str]:
        return await self._read(partial(audit_sql.hashes_at, positions=positions))

    async def audit_record(self, entry: AuditEntry) -> int:
        """Append one entry on its own (backup, restore, a report, a command-line read)."""
        return await self._write(partial(audit_sql.append, entry=entry))


def _verify(conn: Conn) -> tuple[int, StoredEntry | None]:
    count = int(scalar(conn, "SELECT count(*) FROM audit"))
    return count, first_broken(audit_sql.entries(conn))
