"""The Store interface: what the rest of licmon asks of storage, in the domain's words."""

import abc
import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from licmon.domain.access import ReadContext
from licmon.domain.audit import SYSTEM_ACTOR, AuditEntry, StoredEntry
from licmon.domain.models import (
    CheckinCommand,
    IpPrecision,
    License,
    LicenseStatus,
    LicenseTerms,
    Org,
    Product,
    SeatResult,
)
from licmon.domain.offline import ActivationGrant, ActivationRequest
from licmon.domain.subjects import Subject
from licmon.store.admin_base import AdminStore
from licmon.store.flags_base import FlagStore
from licmon.store.learned_base import LearnedStore
from licmon.store.listing_base import ListingStore
from licmon.store.shared_base import SharedDetectorStore
from licmon.store.staff_base import StaffStore
from licmon.store.webhooks_base import WebhookStore


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    version: int
    licenses: list[tuple[bytes, License]]


@dataclass(frozen=True, slots=True)
class LicenseUsage:
    seats_in_use: int
    machines: int
    borrowed: int = 0  # of seats_in_use: borrowed for days
    offline: int = 0  # of seats_in_use: held by air-gapped activations
    activated: int = 0  # machines locked in by activation (activation-limit licenses)


@dataclass(frozen=True, slots=True)
class WriterHealth:
    alive: bool
    queue_depth: int
    storage_failing: bool = False  # the disk refuses writes
    database_unreachable: bool = False  # a database server does not answer


@dataclass(frozen=True, slots=True)
class ProductSeats:
    product: str
    licensed: int
    in_use: int
    full_licenses: int
    borrowed: int = 0  # of in_use
    offline: int = 0  # of in_use


@dataclass(frozen=True, slots=True)
class StoreGauges:
    """What /metrics shows of the database, read periodically off the event loop."""

    products: tuple[ProductSeats, ...] = ()
    database_bytes: int = 0


class Store(
    StaffStore,
    FlagStore,
    LearnedStore,
    ListingStore,
    SharedDetectorStore,
    AdminStore,
    WebhookStore,
    abc.ABC,
):
    """Every method is a coroutine and never blocks the event loop."""

    on_personal_read: Callable[[str], None] | None = None  # told each gateway read's purpose

    @abc.abstractmethod
    async def open(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop accepting writes, commit every queued one, release resources."""

    # -- the hot path
    @abc.abstractmethod
    async def checkin(self, cmd: CheckinCommand) -> SeatResult:
        """Apply one check-in (seat and connection log) and return once it is committed."""

    @abc.abstractmethod
    async def release(self, license_id: int, machine: str, process: str | None = None) -> bool:
        """Free the machine's seat; with ``process``, only that program instance leaves and
        the seat stays while another instance of it still runs."""

    # -- air-gapped activations (licmon.domain.offline)
    @abc.abstractmethod
    async def issue_activation(
        self,
        key_hash: bytes,
        req: ActivationRequest,
        days: int,
        make_token: Callable[[License, ActivationGrant], str],
        *,
        actor: str = SYSTEM_ACTOR,
    ) -> ActivationGrant:
        """Hold a seat offline for ``days``, audited, and sign its license file in one step."""

    @abc.abstractmethod
    async def return_activation(
        self, activation_id: int, secret: str, *, actor: str = SYSTEM_ACTOR
    ) -> int:
        """Free an air-gapped seat with its return code; the license id."""

    @abc.abstractmethod
    async def load_catalog(self) -> CatalogSnapshot: ...

    @abc.abstractmethod
    async def catalog_version(self) -> int: ...

    async def catalog_changed(self, timeout: float) -> None:
        """Return when the catalog may have changed (another node said so), or after
        ``timeout`` seconds; callers then compare ``catalog_version``. One node: a sleep."""
        await asyncio.sleep(timeout)

    async def job_lock(self, name: str) -> bool:
        """Whether this node runs singleton job ``name`` (retention, gauge refresh, ...):
        True while it holds the job's lock, which it keeps until the store closes or the
        node dies; then another node's next call takes it. One node: always True."""
        return True

    # -- health
    @abc.abstractmethod
    async def check_writable(self) -> None:
        """Raise when a write cannot be committed right now."""

    @abc.abstractmethod
    def writer_health(self) -> WriterHealth: ...

    @abc.abstractmethod
    async def gauges(self, now: int) -> StoreGauges:
        """Seats per product and database size, for the metrics snapshot."""

    # -- administration
    @abc.abstractmethod
    async def add_org(
        self,
        slug: str,
        name: str,
        precision: IpPrecision,
        retention_days: int,
        *,
        actor: str = SYSTEM_ACTOR,
    ) -> Org: ...

    @abc.abstractmethod
    async def update_org(
        self,
        slug: str,
        *,
        ip_precision: IpPrecision | None = None,
        retention_days: int | None = None,
        actor: str = SYSTEM_ACTOR,
    ) -> Org:
        """Applies to new rows at once, to stored rows at the next retention run."""

    @abc.abstractmethod
    async def list_orgs(self) -> list[Org]: ...

    @abc.abstractmethod
    async def add_product(self, code: str, name: str, *, actor: str = SYSTEM_ACTOR) -> Product: ...

    @abc.abstractmethod
    async def list_products(self) -> list[Product]: ...

    @abc.abstractmethod
    async def add_license(
        self,
        org: str,
        product: str,
        terms: LicenseTerms,
        key_hash: bytes,
        *,
        actor: str = SYSTEM_ACTOR,
    ) -> License: ...

    @abc.abstractmethod
    async def get_license(self, license_id: int) -> License: ...

    @abc.abstractmethod
    async def list_licenses(self, org: str | None = None) -> list[License]: ...

    @abc.abstractmethod
    async def set_license_status(
        self,
        license_id: int,
        status: LicenseStatus,
        *,
        actor: str = SYSTEM_ACTOR,
        reason: str = "",
    ) -> License:
        """``reason``: why, in the audit entry (free text, addresses redacted)."""

    @abc.abstractmethod
    async def license_usage(self, license_id: int) -> LicenseUsage: ...

    @abc.abstractmethod
    async def move_node_lock(
        self, license_id: int, machine: str, to: str | None = None, *, actor: str = SYSTEM_ACTOR
    ) -> License:
        """Take ``machine`` off a node-locked license (a listed lock passes to ``to``; an
        activation is freed for the next new machine), free its seat, audited; at most
        ``lock_moves`` per ``lock_move_days`` (Forbidden beyond)."""

    # -- personal data: every read goes through the purpose gateway and is audited
    @abc.abstractmethod
    async def read_connections(
        self, ctx: ReadContext, subject: Subject
    ) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def dsr_export(self, ctx: ReadContext, subject: Subject) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def dsr_erase(self, ctx: ReadContext, subject: Subject) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def dsr_restrict(self, ctx: ReadContext, subject: Subject) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def dsr_correct_machine(
        self, ctx: ReadContext, fingerprint: str, from_license: int, to_license: int
    ) -> dict[str, Any]:
        """Move a machine attributed to the wrong license (or organization); audited."""

    @abc.abstractmethod
    async def dsr_correct_org(self, ctx: ReadContext, slug: str, name: str) -> dict[str, Any]:
        """Correct an organization's name; audited (by id and field, never the name)."""

    @abc.abstractmethod
    async def org_export(self, ctx: ReadContext, slug: str) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def org_erase(self, ctx: ReadContext, slug: str) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def add_hold(
        self, scope: str, ref: str, reason: str, citation: str, expires_at: int | None, actor: str
    ) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def list_holds(self, active_only: bool = True) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def release_hold(self, hold_id: int, actor: str) -> dict[str, Any]: ...

    async def newest_row_at(self) -> int | None:
        """The time of the newest committed row, for the clock guards (None: empty)."""
        return None

    @abc.abstractmethod
    async def run_retention(
        self, actor: str = SYSTEM_ACTOR, batch_size: int = 1000, pause: float = 0.0
    ) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def retention_runs(self, limit: int = 20) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def audit_verify(self) -> tuple[int, StoredEntry | None]: ...

    @abc.abstractmethod
    async def audit_recent(
        self, limit: int = 50, target: str | None = None
    ) -> list[StoredEntry]: ...

    @abc.abstractmethod
    async def reapply_erasures(self, since: int) -> int: ...

    async def share_erasure_ledger(self) -> int:
        """Copy into this node's erasure ledger the lines other nodes wrote (several nodes on
        one database); how many it gained. One node: nothing to copy."""
        return 0

    @abc.abstractmethod
    async def audit_head(self) -> tuple[int, str]: ...

    @abc.abstractmethod
    async def audit_hashes_at(self, positions: frozenset[int]) -> dict[int, str]: ...

    @abc.abstractmethod
    async def audit_record(self, entry: AuditEntry) -> int: ...
