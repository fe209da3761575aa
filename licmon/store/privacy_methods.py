"""The personal-data methods of a store, for every backend: the gateway's reads, data-subject
requests, legal holds, retention and the audit log. Each call runs its backend's SQL module's
function (the same names and parameters on both); whatever names a personal column goes
through the backend's ``_gateway`` (SQLite: a writer command alone in its batch; PostgreSQL:
the gateway role), in one transaction with its audit entry.

A backend says where its erasure ledger lives (``_ledger``), what else an erasure's line
goes to (``_share_line``: PostgreSQL's other nodes) and what follows a retention run."""

import abc
import asyncio
from collections.abc import Callable
from functools import partial
from types import ModuleType
from typing import Any, TypeVar

from licmon.domain.access import ReadContext
from licmon.domain.audit import SYSTEM_ACTOR, AuditEntry, StoredEntry
from licmon.domain.models import IpPrecision, Org
from licmon.domain.subjects import Subject, SubjectKind
from licmon.store import corrections
from licmon.store.erasure_ledger import Erasure, ErasureLedger
from licmon.store.methods_base import PersonalDataMethods

T = TypeVar("T")

POLICY_MARGIN = 3600


class PrivacyMethods(PersonalDataMethods):
    usage_min_orgs = 3  # usage_daily publishes no cell fed by fewer organizations
    audit_sql: ModuleType
    catalog: ModuleType
    dsr_correct: corrections.CorrectSql
    dsr_sql: ModuleType
    ledger_sql: ModuleType
    machine_retention_sql: ModuleType
    org_data: ModuleType
    retention_sql: ModuleType
    vault: ModuleType

    @abc.abstractmethod
    def _ledger(self) -> ErasureLedger:
        """This node's erasure ledger."""

    def _share_line(self, conn: Any, erasure: Erasure) -> None:
        """Where else an erasure's ledger line goes, in the erasure's transaction."""

    async def _after_retention(self) -> None:
        """What a retention run leaves to do outside its transactions."""

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
            partial(
                self.catalog.update_org, slug=slug, changes=changes, now=self._now(), actor=actor
            )
        )

    async def read_connections(self, ctx: ReadContext, subject: Subject) -> list[dict[str, Any]]:
        selection = self.vault.Selection(subject, ctx, self._now())
        rows: list[dict[str, Any]] = await self._gateway(
            partial(self.vault.read_connections, selection=selection), bulk=True
        )
        self._count_read(ctx)
        return rows

    async def dsr_export(self, ctx: ReadContext, subject: Subject) -> dict[str, Any]:
        export: dict[str, Any] = await self._gateway(
            partial(self.dsr_sql.export, ctx=ctx, subject=subject, now=self._now()), bulk=True
        )
        self._count_read(ctx)
        return export

    async def dsr_erase(self, ctx: ReadContext, subject: Subject) -> dict[str, Any]:
        now = self._now()
        erase = partial(self.dsr_sql.erase, ctx=ctx, subject=subject, now=now)
        return await self._gateway(self._ledgered(erase, subject, ctx, now), bulk=True)

    async def dsr_restrict(self, ctx: ReadContext, subject: Subject) -> dict[str, Any]:
        return await self._gateway(
            partial(self.dsr_sql.restrict, ctx=ctx, subject=subject, now=self._now()), bulk=True
        )

    async def dsr_correct_machine(
        self, ctx: ReadContext, fingerprint: str, from_license: int, to_license: int
    ) -> dict[str, Any]:
        move = partial(
            corrections.move_machine,
            self.dsr_correct,
            ctx=ctx,
            fingerprint=fingerprint,
            from_license=from_license,
            to_license=to_license,
            now=self._now(),
        )
        return await self._gateway(move, bulk=True)

    async def dsr_correct_org(self, ctx: ReadContext, slug: str, name: str) -> dict[str, Any]:
        rename = partial(
            corrections.rename_org, self.dsr_correct, ctx=ctx, slug=slug, name=name, now=self._now()
        )
        return await self._write(rename, bulk=True)

    async def org_export(self, ctx: ReadContext, slug: str) -> dict[str, Any]:
        return await self._gateway(
            partial(self.org_data.export, ctx=ctx, slug=slug, now=self._now()), bulk=True
        )

    async def org_erase(self, ctx: ReadContext, slug: str) -> dict[str, Any]:
        subject = Subject(SubjectKind.ORG, slug)
        now = self._now()
        erase = partial(self.org_data.erase, ctx=ctx, slug=slug, now=now)
        return await self._gateway(self._ledgered(erase, subject, ctx, now), bulk=True)

    def _ledgered(
        self, erase: Callable[[Any], T], subject: Subject, ctx: ReadContext, now: int
    ) -> Callable[[Any], T]:
        """The erasure, then its line in the erasure ledger, synced before the commit."""

        def run(conn: Any) -> T:
            result = erase(conn)
            self._share_line(conn, self._ledger().record(subject, ctx.org_id, now))
            return result

        return run

    async def reapply_erasures(self, since: int) -> int:
        """Erase again what the erasure ledger says was erased at or after ``since``."""
        ledger = self._ledger()
        erasures = await asyncio.to_thread(ledger.entries, since)
        if not erasures:
            return 0
        reapply = partial(
            self.ledger_sql.reapply, ledger=ledger, erasures=erasures, now=self._now()
        )
        return await self._gateway(reapply, bulk=True)

    async def add_hold(
        self, scope: str, ref: str, reason: str, citation: str, expires_at: int | None, actor: str
    ) -> dict[str, Any]:
        return await self._write(
            partial(
                self.dsr_sql.add_hold,
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
            partial(self.dsr_sql.list_holds, now=self._now(), active_only=active_only)
        )

    async def release_hold(self, hold_id: int, actor: str) -> dict[str, Any]:
        return await self._write(
            partial(self.dsr_sql.release_hold, hold_id=hold_id, actor=actor, now=self._now()),
            bulk=True,
        )

    async def run_retention(
        self, actor: str = SYSTEM_ACTOR, batch_size: int = 1000, pause: float = 0.0
    ) -> dict[str, Any]:
        """Fold and delete expired rows in short batches, so check-ins keep their latency."""
        now = self._now()
        run_id = await self._write(partial(self.retention_sql.begin_run, actor=actor, now=now))
        reduced = await self._apply_changed_policies(batch_size, pause)
        plan = await self._read(
            partial(self.retention_sql.usage_plan, now=now, min_orgs=self.usage_min_orgs)
        )
        fold = partial(self.retention_sql.fold_batch, now=now, limit=batch_size, plan=plan)
        counts = {"reduced": reduced, "folded": await self._batches(fold, batch_size, pause)}
        run: dict[str, Any] = await self._gateway(
            partial(
                self.retention_sql.finish_run,
                run_id=run_id,
                now=now,
                counts=counts,
                finished=self._now(),
            ),
            bulk=True,
        )
        await self._after_retention()
        return run

    async def _apply_changed_policies(self, window: int, pause: float) -> int:
        """Re-apply precision and retention to stored rows of organizations that changed
        them since the last run (with a margin for check-ins then in flight), window by
        window of row ids; nothing to scan when no organization changed."""
        since = await self._read(self.retention_sql.last_run_start) - POLICY_MARGIN
        orgs = await self._read(partial(self.retention_sql.orgs_changed_since, since=since))
        if not orgs:
            return 0
        reduced: int = await self._gateway(
            partial(self.retention_sql.reduce_flag_evidence, orgs=orgs), bulk=True
        )
        await self._write(
            partial(self.machine_retention_sql.tighten_deadlines, orgs=orgs), bulk=True
        )
        low, high = await self._read(self.retention_sql.id_range)
        for start in range(low, high + 1, window):
            reduced += await self._gateway(
                partial(
                    self.retention_sql.apply_policy, orgs=orgs, start=start, end=start + window - 1
                ),
                bulk=True,
            )
            await asyncio.sleep(pause)
        return reduced

    async def _batches(self, step: Callable[[Any], int], size: int, pause: float) -> int:
        total = 0
        while (done := await self._write(step, bulk=True)) > 0:
            total += done
            if done < size:
                break
            await asyncio.sleep(pause)
        return total

    async def retention_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        return await self._read(partial(self.retention_sql.runs, limit=limit))

    async def audit_verify(self) -> tuple[int, StoredEntry | None]:
        """How many entries were checked, and the first broken one (None: the chain holds)."""
        return await self._read(self.audit_sql.verify)

    async def audit_recent(self, limit: int = 50, target: str | None = None) -> list[StoredEntry]:
        return await self._read(partial(self.audit_sql.recent, limit=limit, target=target))

    async def audit_head(self) -> tuple[int, str]:
        return await self._read(self.audit_sql.head)

    async def audit_hashes_at(self, positions: frozenset[int]) -> dict[int, str]:
        return await self._read(partial(self.audit_sql.hashes_at, positions=positions))

    async def audit_record(self, entry: AuditEntry) -> int:
        """Append one entry on its own (backup, restore, a report, a command-line read)."""
        return await self._write(partial(self.audit_sql.append, entry=entry))
