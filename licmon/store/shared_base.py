"""The Store's shared-detector methods (part of ``Store``): on a database that several nodes
write, each node publishes what its detectors saw and reads what the others saw, so every
node's detectors and throttle see all traffic. One node at a time raises the flags: the
holder of the singleton job lock ``DETECTOR_FLAGS_JOB`` (``Store.job_lock``)."""

import abc
from collections.abc import Sequence

DetectorCursor = tuple[int, int]  # a position in the stream of records, opaque to callers
START: DetectorCursor = (0, 0)
DETECTOR_FLAGS_JOB = "detector-flags"


class SharedDetectorStore(abc.ABC):
    @abc.abstractmethod
    def shared_by_nodes(self) -> bool:
        """True where other nodes may write the same database: detector records and erasure
        lines flow between them."""

    @abc.abstractmethod
    async def publish_detector_records(self, node: str, records: Sequence[tuple[int, str]]) -> None:
        """Append this node's records ((at, text), purpose ``license.enforcement.abuse``) in
        one transaction."""

    @abc.abstractmethod
    async def detector_records_after(
        self, node: str, cursor: DetectorCursor | None, limit: int
    ) -> tuple[list[str], DetectorCursor]:
        """Other nodes' records committed after ``cursor``, oldest first, and the cursor to
        ask from next; from ``None``: none, and the cursor of the stream's current end. No
        record is skipped, whatever order the nodes' transactions commit in."""

    @abc.abstractmethod
    async def prune_detector_records(self, before: int) -> int:
        """Delete records older than ``before`` (every node has long read them)."""
