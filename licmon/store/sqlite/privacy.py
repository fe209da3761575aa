"""SqliteStore's personal-data methods: ``PrivacyMethods`` on this backend's SQL. The
erasure ledger lies beside the database file; a retention run ends with a WAL checkpoint."""

import asyncio
import sqlite3
from pathlib import Path

from licmon.store.erasure_ledger import ErasureLedger
from licmon.store.privacy_methods import PrivacyMethods
from licmon.store.sqlite import (
    audit_sql,
    catalog,
    dsr_correct,
    dsr_sql,
    ledger_sql,
    machine_retention_sql,
    org_data,
    retention_sql,
    vault,
)
from licmon.store.sqlite.plumbing import SqlitePlumbing


class SqlitePrivacy(PrivacyMethods, SqlitePlumbing):
    audit_sql = audit_sql
    catalog = catalog
    dsr_correct = dsr_correct
    dsr_sql = dsr_sql
    ledger_sql = ledger_sql
    machine_retention_sql = machine_retention_sql
    org_data = org_data
    retention_sql = retention_sql
    vault = vault

    def _ledger(self) -> ErasureLedger:
        return ErasureLedger.beside(self.path)

    async def _after_retention(self) -> None:
        await asyncio.to_thread(_checkpoint, self.path)


def _checkpoint(path: Path) -> None:
    """Make deleted bytes go from the WAL too (secure_delete clears them in the database)."""
    conn = sqlite3.connect(path, timeout=10)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
