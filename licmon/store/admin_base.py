"""What the admin API asks of storage (part of ``Store``): idempotency records, license
terms changed, machines listed and deactivated, and lists read by cursor (ids ascending,
``after`` the last id of the previous page, up to ``limit`` rows; callers ask limit + 1)."""

import abc
from dataclasses import dataclass
from typing import Any

from licmon.domain.idempotency import Claim, StoredAnswer
from licmon.domain.models import License, LicenseTerms, SeatKind


@dataclass(frozen=True, slots=True)
class LicenseQuery:
    """Which licenses a list shows. ``scope``: a customer's organization (None: all)."""

    scope: int | None = None
    org: str | None = None
    product: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class FlagQuery:
    scope: int | None = None
    status: str | None = None
    kind: str | None = None
    license_id: int | None = None


@dataclass(frozen=True, slots=True)
class MachineRow:
    """A machine a license has seen (its fingerprint is what the client sends)."""

    id: int
    license_id: int
    fingerprint: str
    first_seen: int
    last_seen: int
    seat: SeatKind | None  # the seat it holds now (None: none)
    seat_expires: int | None


class AdminStore(abc.ABC):
    # -- Idempotency-Key
    @abc.abstractmethod
    async def claim_idempotency(self, claim: Claim, forget_before: int) -> StoredAnswer | None:
        """Reserve the claim's key, atomically; None when it was free. Otherwise the record
        already kept (answered or still pending). Records older than ``forget_before`` are
        forgotten first."""

    @abc.abstractmethod
    async def finish_idempotency(self, claim: Claim, status: int, sealed: bytes) -> None:
        """Keep the answer of a reserved claim."""

    @abc.abstractmethod
    async def drop_idempotency(self, claim: Claim) -> None:
        """Forget a reserved claim that was not answered (its request failed)."""

    # -- licenses
    @abc.abstractmethod
    async def update_license_terms(
        self, license_id: int, terms: LicenseTerms, *, actor: str
    ) -> License:
        """Replace a license's terms (audited with the fields changed)."""

    @abc.abstractmethod
    async def license_cursor(
        self, query: LicenseQuery, after: int | None, limit: int
    ) -> list[License]: ...

    # -- machines
    @abc.abstractmethod
    async def license_machines(
        self, license_id: int, after: int | None, limit: int
    ) -> list[MachineRow]: ...

    @abc.abstractmethod
    async def deactivate_machine(
        self, license_id: int, machine_id: int, *, actor: str, reason: str
    ) -> MachineRow:
        """Free the machine's seat, whatever its kind (audited with the reason); the
        machine as it is afterwards. NotFound when the license has no such machine."""

    # -- flags
    @abc.abstractmethod
    async def flag_cursor(
        self, query: FlagQuery, after: int | None, limit: int
    ) -> list[dict[str, Any]]:
        """Flags without evidence or source network, ids ascending."""
