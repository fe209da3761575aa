"""The staff console's part of the retention job: login attempts past their deadline
(with their addresses) and hourly usage older than ``USAGE_HOURLY_DAYS`` are deleted."""

import sqlite3

from licmon.domain.purposes import DAY
from licmon.store.sqlite import login_sql

USAGE_HOURLY_DAYS = 30


def purge_staff_data(conn: sqlite3.Connection, now: int) -> int:
    """Returns how many login attempts were deleted."""
    conn.execute("DELETE FROM usage_hourly WHERE hour < ?", (now - USAGE_HOURLY_DAYS * DAY,))
    return login_sql.delete_expired(conn, now)
