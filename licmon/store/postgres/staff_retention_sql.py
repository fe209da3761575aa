"""The staff console's part of the retention job: login attempts past their deadline
(with their addresses) and hourly usage older than ``USAGE_HOURLY_DAYS`` are deleted."""

from licmon.domain.purposes import DAY
from licmon.store.postgres import login_sql
from licmon.store.postgres.audit_sql import Conn
from licmon.store.sqlite.staff_retention_sql import USAGE_HOURLY_DAYS


def purge_staff_data(conn: Conn, now: int) -> int:
    """Returns how many login attempts were deleted."""
    conn.execute("DELETE FROM usage_hourly WHERE hour < %s", (now - USAGE_HOURLY_DAYS * DAY,))
    return login_sql.delete_expired(conn, now)
