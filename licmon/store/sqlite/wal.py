"""The WAL kept bounded: checkpoints on a schedule, ``journal_size_limit`` to shrink the file
once a checkpoint completes, and a warning while a reader pins it.

A long read transaction (Datasette, a backup, an open ``sqlite3`` shell) keeps every frame
after its snapshot in the WAL; nothing can be copied back past it until it ends. licmon
cannot end someone else's transaction, so it says so, once per episode, with the size.
"""

import asyncio
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
PIN_WARNING_BYTES = 64 << 20  # a WAL larger than this that a checkpoint cannot empty


@dataclass
class WalWatch:
    database: Path
    size_limit: int
    wal_bytes: int = 0
    pinned: bool = False

    @property
    def wal_path(self) -> Path:
        return self.database.with_name(self.database.name + "-wal")

    def size(self) -> int:
        try:
            return self.wal_path.stat().st_size
        except FileNotFoundError:
            return 0

    def checkpoint(self) -> None:
        """One passive checkpoint (never waits on writers or readers), then the verdict."""
        conn = sqlite3.connect(self.database, isolation_level=None, timeout=1)
        try:
            _, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if frames == copied and self.size() > self.size_limit:  # all copied: cut it
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint failed", extra={"cause": str(exc)})
            return
        finally:
            conn.close()
        self.wal_bytes = self.size()
        self._judge(frames > copied >= 0)

    def _judge(self, incomplete: bool) -> None:
        pinned = incomplete and self.wal_bytes > PIN_WARNING_BYTES
        if pinned and not self.pinned:
            log.warning(
                "a long reader pins the WAL: it grows until that read transaction ends "
                "(Datasette, a backup or an sqlite3 shell holding a transaction?)",
                extra={"wal_bytes": self.wal_bytes},
            )
        elif self.pinned and not incomplete:
            log.info("WAL checkpointed again", extra={"wal_bytes": self.wal_bytes})
        self.pinned = pinned

    async def run_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            await asyncio.to_thread(self.checkpoint)
