"""PostgresStore's personal-data methods: ``PrivacyMethods`` on this backend's SQL.

Whatever reads a personal column runs as the gateway role (``_gateway``), in one
transaction with its audit entry; the rest runs as licmon's normal role, which PostgreSQL
itself stops from selecting those columns. The erasure ledger is in this node's data
directory, and its lines go to the other nodes through ``erasure_lines``.
"""

import asyncio
import logging
from functools import partial
from pathlib import Path

from licmon.errors import ConfigError
from licmon.store.erasure_ledger import SHARED, Erasure, ErasureLedger
from licmon.store.postgres import (
    audit_sql,
    catalog,
    dsr_correct,
    dsr_sql,
    erasure_lines,
    ledger_sql,
    machine_retention_sql,
    org_data,
    retention_sql,
    vault,
)
from licmon.store.postgres.audit_sql import Conn
from licmon.store.postgres.plumbing import PostgresPlumbing
from licmon.store.privacy_methods import PrivacyMethods

log = logging.getLogger(__name__)


class PostgresPrivacy(PrivacyMethods, PostgresPlumbing):
    data_dir: Path | None = None  # this node's data directory: the erasure ledger's place
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
        if self.data_dir is None:
            raise ConfigError("erasures need this node's data directory (the erasure ledger)")
        return ErasureLedger(self.data_dir, shared=True)

    def _share_line(self, conn: Conn, erasure: Erasure) -> None:
        erasure_lines.add(conn, [erasure])

    async def share_erasure_ledger(self) -> int:
        """Copy the other nodes' erasure lines into this node's ledger; erase again, and put
        back, what this node's ledger holds and the database lost. How many lines this
        node's ledger gained."""
        ledger = self._ledger()
        mine = await asyncio.to_thread(ledger.entries)
        theirs = await self._read(erasure_lines.every_line)
        known = set(theirs)
        lost = [e for e in mine if e.key == SHARED and e not in known]
        if lost:
            restore = partial(_restore_lines, ledger=ledger, lost=lost, now=self._now())
            erased = await self._gateway(restore)
            log.warning(
                "erasures the database had lost were applied again",
                extra={"lines": len(lost), "subjects_erased": erased},
            )
        return await asyncio.to_thread(ledger.merge, theirs)


def _restore_lines(conn: Conn, ledger: ErasureLedger, lost: list[Erasure], now: int) -> int:
    """The database lost these lines (an older dump restored, or an erasure whose commit
    failed after its line was written): erase their subjects again, put the lines back."""
    erasure_lines.add(conn, lost)
    return ledger_sql.reapply(conn, ledger, lost, now)
