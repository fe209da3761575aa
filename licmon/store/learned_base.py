"""The Store's memory of what the detectors learned (part of ``Store``): saved now and then
and at shutdown, read back at start-up, so a restart does not reset detection."""

import abc
from collections.abc import Sequence

from licmon.domain.detectors.learned import Learned


class LearnedStore(abc.ABC):
    @abc.abstractmethod
    async def save_learned(self, facts: Sequence[Learned], forget_before: int) -> int:
        """Keep each fact (one per kind, license and subject: the newest wins), then forget
        facts last updated before ``forget_before``. Facts of a license that no longer
        exists are dropped. Returns the number of facts kept by this call."""

    @abc.abstractmethod
    async def load_learned(self, since: int) -> list[Learned]:
        """Facts updated at or after ``since``, oldest first."""
