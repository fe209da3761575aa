"""SQLite is one node's database: no other node writes it, nothing is shared."""

from collections.abc import Sequence

from licmon.store.shared_base import START, DetectorCursor, SharedDetectorStore


class SqliteSharedDetectors(SharedDetectorStore):
    def shared_by_nodes(self) -> bool:
        return False

    async def publish_detector_records(self, node: str, records: Sequence[tuple[int, str]]) -> None:
        return None

    async def detector_records_after(
        self, node: str, cursor: DetectorCursor | None, limit: int
    ) -> tuple[list[str], DetectorCursor]:
        return [], cursor or START

    async def prune_detector_records(self, before: int) -> int:
        return 0
