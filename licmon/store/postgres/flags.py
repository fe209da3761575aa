"""PostgresStore's abuse-flag methods: raise, list, decide, and the gateway reads of evidence
and of the detectors' history. Raising and the reads name the personal columns: they run
as the gateway role (``_gateway``), the rest as licmon's normal role."""

from collections.abc import Sequence
from functools import partial
from typing import Any

from licmon.domain.access import ReadContext
from licmon.domain.detectors.known import KnownPlace
from licmon.domain.flags import FlagRaise, FlagStatus
from licmon.store.flags_base import FlagStore
from licmon.store.postgres import flags_sql, places_sql, vault
from licmon.store.postgres.plumbing import PostgresPlumbing


class PostgresFlags(FlagStore, PostgresPlumbing):
    async def raise_flags(self, raises: Sequence[FlagRaise]) -> list[int]:
        return await self._gateway(partial(flags_sql.raise_flags, raises=list(raises)))

    async def list_flags(
        self,
        status: str | None = None,
        kind: str | None = None,
        license_id: int | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        return await self._read(
            partial(
                flags_sql.list_flags, status=status, kind=kind, license_id=license_id, limit=limit
            )
        )

    async def get_flag(self, flag_id: int) -> dict[str, Any]:
        return await self._read(partial(flags_sql.flag_by_id, flag_id=flag_id))

    async def read_flag(self, ctx: ReadContext, flag_id: int) -> dict[str, Any]:
        flag = await self._gateway(
            partial(vault.read_flag, ctx=ctx, flag_id=flag_id, now=self._now())
        )
        self._count_read(ctx)
        return flag

    async def decide_flag(
        self, flag_id: int, status: FlagStatus, actor: str, reason: str, *, suspend: bool
    ) -> dict[str, Any]:
        return await self._write(
            partial(
                flags_sql.decide,
                flag_id=flag_id,
                target=status,
                actor=actor,
                reason=reason,
                now=self._now(),
                suspend=suspend,
            )
        )

    async def open_flag_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        return await self._read(flags_sql.open_counts)

    async def active_flags_since(self, since: int) -> list[tuple[str, int, int]]:
        return await self._read(partial(flags_sql.active_since, since=since))

    async def detector_history(
        self, ctx: ReadContext, since: int, limit: int
    ) -> list[dict[str, Any]]:
        rows = await self._gateway(
            partial(vault.detector_history, ctx=ctx, since=since, limit=limit, now=self._now())
        )
        self._count_read(ctx)
        return rows

    async def add_place(
        self, org: str, network: str, kind: str, label: str = "", *, actor: str
    ) -> KnownPlace:
        return await self._write(
            partial(
                places_sql.add,
                org=org,
                network=network,
                kind=kind,
                label=label,
                actor=actor,
                now=self._now(),
            )
        )

    async def remove_place(self, org: str, network: str, *, actor: str) -> None:
        await self._write(
            partial(places_sql.remove, org=org, network=network, actor=actor, now=self._now())
        )

    async def list_places(self, org: str | None = None) -> list[KnownPlace]:
        return await self._read(partial(places_sql.list_all, org=org))
