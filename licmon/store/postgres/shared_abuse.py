"""PostgreSQL: the stream of detector records the nodes share.

Records go to an UNLOGGED table (they live minutes; a database crash that empties it costs
the detectors a few seconds of other nodes' traffic, never a check-in). Each row carries the
id of the transaction that wrote it: a reader takes only rows of transactions older than
every transaction still running (``pg_snapshot_xmin``), in (transaction, id) order, so a
slower node's commit can never land behind a cursor that already moved past it.
"""

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from licmon.domain.purposes import ABUSE
from licmon.store.shared_base import DetectorCursor, SharedDetectorStore

SCHEMA = (
    """CREATE UNLOGGED TABLE detector_records (
        id bigserial PRIMARY KEY,
        txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
        node text NOT NULL,
        at bigint NOT NULL,
        purpose text NOT NULL,
        record text NOT NULL
    )""",
    "CREATE INDEX detector_records_stream ON detector_records (txid, id)",
    "CREATE INDEX detector_records_at ON detector_records (at)",
)
PUBLISH = """
INSERT INTO detector_records (node, at, purpose, record)
SELECT %s, r.at, %s, r.record FROM unnest(%s::bigint[], %s::text[]) AS r(at, record)
"""
HORIZON = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
AFTER = """
SELECT txid, id, record FROM detector_records
WHERE (txid, id) > (%s, %s) AND node <> %s
  AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
ORDER BY txid, id LIMIT %s
"""
HIGHEST_ID = 1 << 62


class DetectorRecords:
    """The records table, over a connection of its own: sharing never waits behind the
    store's writer, and the writer never waits behind sharing."""

    def __init__(self, conninfo: str, role: str) -> None:
        self.conninfo = conninfo
        self.role = role  # licmon's normal role (roles.py): records are no personal column
        self._conn: Any = None

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
        self._conn = None

    async def publish(self, node: str, records: Sequence[tuple[int, str]]) -> None:
        if not records:
            return
        ats = [at for at, _ in records]
        texts = [text for _, text in records]
        await self._execute(PUBLISH, (node, ABUSE, ats, texts))

    async def after(
        self, node: str, cursor: DetectorCursor | None, limit: int
    ) -> tuple[list[str], DetectorCursor]:
        if cursor is None:
            (horizon,) = (await self._execute(HORIZON, ()))[0]
            return [], (int(horizon) - 1, HIGHEST_ID)
        rows = await self._execute(AFTER, (cursor[0], cursor[1], node, limit))
        if not rows:
            return [], cursor
        txid, row_id, _ = rows[-1]
        return [str(r[2]) for r in rows], (int(txid), int(row_id))

    async def prune(self, before: int) -> int:
        conn = await self._connection()
        cur = await conn.execute("DELETE FROM detector_records WHERE at < %s", (before,))
        return int(cur.rowcount)

    async def _execute(self, query: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        conn = await self._connection()
        try:
            cur = await conn.execute(query, params)
            return list(await cur.fetchall()) if cur.description else []
        except psycopg.OperationalError:
            self._conn = None  # a new connection next time
            await conn.close()
            raise

    async def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            self._conn = await self._connect()
        return self._conn

    async def _connect(self) -> Any:
        conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        await conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(self.role)))
        return conn


class PgSharedDetectors(SharedDetectorStore):
    """The Store's shared-detector methods for a PostgreSQL store (which sets
    ``detector_records`` when it opens and closes it when it closes)."""

    detector_records: DetectorRecords

    def open_detector_records(self, url: str, role: str) -> None:
        self.detector_records = DetectorRecords(url, role)

    async def close_detector_records(self) -> None:
        records = getattr(self, "detector_records", None)
        if records is not None:
            await records.close()

    def shared_by_nodes(self) -> bool:
        return True

    async def publish_detector_records(self, node: str, records: Sequence[tuple[int, str]]) -> None:
        await self.detector_records.publish(node, records)

    async def detector_records_after(
        self, node: str, cursor: DetectorCursor | None, limit: int
    ) -> tuple[list[str], DetectorCursor]:
        return await self.detector_records.after(node, cursor, limit)

    async def prune_detector_records(self, before: int) -> int:
        return await self.detector_records.prune(before)
