"""The Store's abuse-flag methods, in the domain's words (part of ``Store``)."""

import abc
from collections.abc import Sequence
from typing import Any

from licmon.domain.access import ReadContext
from licmon.domain.detectors.known import KnownPlace
from licmon.domain.flags import FlagRaise, FlagStatus


class FlagStore(abc.ABC):
    @abc.abstractmethod
    async def raise_flags(self, raises: Sequence[FlagRaise]) -> list[int]:
        """Insert each flag or count it on the active flag of its kind, license and network."""

    @abc.abstractmethod
    async def list_flags(
        self,
        status: str | None = None,
        kind: str | None = None,
        license_id: int | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Flags without their evidence, most recently seen first."""

    @abc.abstractmethod
    async def get_flag(self, flag_id: int) -> dict[str, Any]:
        """One flag without its evidence."""

    @abc.abstractmethod
    async def read_flag(self, ctx: ReadContext, flag_id: int) -> dict[str, Any]:
        """One flag with its evidence, through the purpose gateway (audited)."""

    @abc.abstractmethod
    async def decide_flag(
        self, flag_id: int, status: FlagStatus, actor: str, reason: str, *, suspend: bool
    ) -> dict[str, Any]:
        """Acknowledge, confirm or dismiss (audited); ``suspend``: a confirmation suspends."""

    @abc.abstractmethod
    async def open_flag_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Open flags by kind and by severity."""

    @abc.abstractmethod
    async def active_flags_since(self, since: int) -> list[tuple[str, int, int]]:
        """(kind, license, last seen) of active license flags seen since ``since``."""

    @abc.abstractmethod
    async def detector_history(
        self, ctx: ReadContext, since: int, limit: int
    ) -> list[dict[str, Any]]:
        """Connection rows since ``since`` for the detectors' windows (gateway, audited)."""

    @abc.abstractmethod
    async def add_place(
        self, org: str, network: str, kind: str, label: str = "", *, actor: str
    ) -> KnownPlace:
        """Declare a network (CIDR) of the organization as an office or VPN egress (audited)."""

    @abc.abstractmethod
    async def remove_place(self, org: str, network: str, *, actor: str) -> None:
        """Withdraw a declared network (audited)."""

    @abc.abstractmethod
    async def list_places(self, org: str | None = None) -> list[KnownPlace]:
        """Declared networks, of one organization or of all."""
