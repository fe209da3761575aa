"""Storage faults (disk full, I/O errors): 503 with Retry-After, one log line per episode.

An episode begins at the first write the disk refuses and ends at the first real write that
commits again; its refusals are counted and reported once, when it ends. Readiness stays
"storage_full" until no write failed for ``HOLD_SECONDS``, so /readyz does not flap.
"""

import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from licmon.errors import Unavailable

log = logging.getLogger(__name__)
HOLD_SECONDS = 10.0
RETRY_AFTER_SECONDS = 5
_STORAGE_CODES = (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR)


class StorageFull(Unavailable):
    """The disk refused a write; nothing was half-written (the batch rolled back)."""

    code = "storage_unavailable"
    retry_after = RETRY_AFTER_SECONDS

    def __init__(self) -> None:
        super().__init__("The server cannot write to its disk right now; retry later.")


def is_storage_fault(exc: BaseException) -> bool:
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _STORAGE_CODES
    return "disk is full" in str(exc) or "disk I/O error" in str(exc)


@dataclass
class StorageFaults:
    database: Path
    refused: int = 0
    episodes: int = 0
    _in_episode: bool = False
    _episode_start: int = 0
    _last_failure: float = -1e9

    def failed(self, exc: BaseException) -> StorageFull:
        self._last_failure = time.monotonic()
        self.refused += 1
        if not self._in_episode:
            self._in_episode = True
            self._episode_start = self.refused - 1
            self.episodes += 1
            log.warning(
                "storage full or failing: writes answered 503 until it recovers",
                extra={"database": str(self.database), "cause": str(exc)},
            )
        return StorageFull()

    def succeeded(self) -> None:
        if self._in_episode:
            self._in_episode = False
            refused = self.refused - self._episode_start
            log.warning("storage writable again", extra={"refused_writes": refused})

    @property
    def failing(self) -> bool:
        return self._in_episode or time.monotonic() - self._last_failure < HOLD_SECONDS
