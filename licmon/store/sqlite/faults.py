"""Storage faults (disk full, I/O errors): 503 with Retry-After, one log line per episode
(``FaultEpisodes``); readiness says "storage_full" meanwhile."""

import sqlite3
from pathlib import Path

from licmon.errors import Unavailable
from licmon.store.fault_episodes import HOLD_SECONDS, RETRY_AFTER_SECONDS, FaultEpisodes

__all__ = ["HOLD_SECONDS", "RETRY_AFTER_SECONDS", "StorageFull", "storage_faults"]
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


def storage_faults(database: Path) -> FaultEpisodes:
    return FaultEpisodes(
        "storage full or failing: writes answered 503 until it recovers",
        "storage writable again",
        {"database": str(database)},
    )
