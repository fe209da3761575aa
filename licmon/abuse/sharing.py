"""Several nodes on one database: each node's detector events go to the others, so the
key-guessing throttle and every detector see all nodes' traffic.

Records are sealed with a key only the nodes hold (``record_seal``). The check-in path only
appends to a bounded in-memory outbox (never a wait on the database);
``exchange`` (a background task, every ``detector_share_seconds``) writes the outbox in one
transaction and reads what the other nodes wrote since its cursor. One node at a time (the
store's lead) raises the flags drafted from everybody's events; the others still draft, so
their throttle and re-raise guard stay in step and a new leader does not raise twice.
"""

import logging
import uuid
from collections import deque
from collections.abc import Sequence

from licmon.abuse.record_seal import RecordSeal
from licmon.domain.detectors.shared import SharedObservation, decode
from licmon.store.shared_base import DetectorCursor
from licmon.store.shared_base import SharedDetectorStore as Store

log = logging.getLogger(__name__)
OUTBOX_CAP = 100_000  # records kept while the database is away; the oldest go first
PUBLISH_BATCH = 5_000
READ_BATCH = 5_000
KEEP_SECONDS = 900  # records older than this are pruned (by the leader)
PRUNE_EVERY_SECONDS = 60


class DetectorShare:
    def __init__(
        self,
        store: Store,
        seal: RecordSeal,
        node: str | None = None,
        keep_seconds: int = KEEP_SECONDS,
    ) -> None:
        self.store = store
        self.seal = seal
        self.keep_seconds = keep_seconds
        self.node = node or uuid.uuid4().hex[:16]
        self.outbox: deque[tuple[int, str]] = deque(maxlen=OUTBOX_CAP)
        self.cursor: DetectorCursor | None = None
        self.leads = False
        self.dropped = 0
        self._pruned_at = 0

    def publish(self, at: int, record: str) -> None:
        if len(self.outbox) == OUTBOX_CAP:
            self.dropped += 1
        self.outbox.append((at, record))

    async def start(self) -> None:
        """Take the stream's current end: what others write from now on is read."""
        _, self.cursor = await self.store.detector_records_after(self.node, None, 0)
        self.leads = await self.store.lead_detectors(self.node)

    async def exchange(self, now: int) -> list[SharedObservation]:
        """Write the outbox, read the others' new records; the observations, oldest first."""
        await self._flush()
        self.leads = await self.store.lead_detectors(self.node)
        if self.leads and now - self._pruned_at >= PRUNE_EVERY_SECONDS:
            self._pruned_at = now
            await self.store.prune_detector_records(now - self.keep_seconds)
        return await self._read()

    async def _flush(self) -> None:
        if self.dropped:
            log.warning("detector records dropped while the database was away",
                        extra={"records": self.dropped})  # fmt: skip
            self.dropped = 0
        while self.outbox:
            batch = _take(self.outbox, PUBLISH_BATCH)
            sealed = [(at, self.seal.seal(text)) for at, text in batch]
            try:
                await self.store.publish_detector_records(self.node, sealed)
            except BaseException:
                self.outbox.extendleft(reversed(batch))  # kept for the next exchange
                raise

    async def _read(self) -> list[SharedObservation]:
        if self.cursor is None:
            await self.start()
        observations: list[SharedObservation] = []
        while True:
            records, self.cursor = await self.store.detector_records_after(
                self.node, self.cursor, READ_BATCH
            )
            for record in records:
                text = self.seal.open(record)
                observation = decode(text) if text is not None else None
                if observation is not None:
                    observations.append(observation)
            if len(records) < READ_BATCH:
                return observations


def _take(outbox: deque[tuple[int, str]], count: int) -> Sequence[tuple[int, str]]:
    return [outbox.popleft() for _ in range(min(count, len(outbox)))]
