"""The hourly check-in counts of one writer batch, written in that batch's transaction.

A check-in used to upsert ``usage_hourly`` itself (a trigger on every machine upsert, and
the peak on every grant): a write per renewal. Now a check-in command says which license
and second it counts for (``Counted``, or ``usage`` on PostgreSQL's ``SeatCommand``); the
writer adds what each command that succeeded counted, and writes one upsert per (license,
hour) just before COMMIT. Nothing outlives the transaction: a rolled-back command counts
nothing, a rolled-back batch is counted again from zero when it runs again.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from licmon.domain.models import DenyReason, Outcome, SeatResult

HOUR = 3600
T = TypeVar("T")


@dataclass(slots=True)
class HourCounts:
    checkins: int = 0
    peak_seats: int = 0
    refusals: int = 0


@dataclass(frozen=True, slots=True)
class HourRow:
    license_id: int
    hour: int
    counts: HourCounts

    def params(self) -> tuple[int, int, int, int, int, int]:
        c = self.counts
        return (self.license_id, self.hour, c.checkins, c.peak_seats, c.refusals, self.license_id)


class Counted(Generic[T]):
    """A command that is one check-in of ``license_id`` at ``now`` (a machine upsert);
    ``license_id`` None: the license its result names (an activation finds it by key).
    ``replayable``: a function of the database alone, which a writer may run again after
    rolling it back (its first result is never seen)."""

    def __init__(
        self,
        operation: Callable[[Any], T],
        license_id: int | None,
        now: int,
        *,
        replayable: bool = False,
    ) -> None:
        self.operation = operation
        self.usage = (license_id, now)
        self.replayable = replayable

    def __call__(self, conn: Any) -> T:
        return self.operation(conn)


class UsageTally:
    def __init__(self) -> None:
        self._hours: dict[tuple[int, int], HourCounts] = {}

    def clear(self) -> None:
        self._hours.clear()

    def count(self, operation: Any, result: Any) -> None:
        """What ``operation`` counted, once it has succeeded with ``result``."""
        usage: tuple[int | None, int] | None = getattr(operation, "usage", None)
        if usage is None:
            return
        license_id, now = usage
        if license_id is None:
            license_id = int(result.license_id)
        key = (license_id, now - now % HOUR)
        counts = self._hours.get(key)
        if counts is None:
            counts = self._hours[key] = HourCounts()
        counts.checkins += 1
        if not isinstance(result, SeatResult):
            return
        if result.outcome is Outcome.GRANTED:
            counts.peak_seats = max(counts.peak_seats, result.seats_in_use)
        elif result.reason is DenyReason.SEATS_EXHAUSTED:
            counts.refusals += 1

    def rows(self) -> Iterator[HourRow]:
        for (license_id, hour), counts in self._hours.items():
            yield HourRow(license_id, hour, counts)
