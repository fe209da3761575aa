"""The authorizer that hides the personal columns (listed in ``store.personal_columns``).

Every connection licmon opens reads these columns as NULL (SQLite's authorizer answers
SQLITE_IGNORE), except while the purpose gateway (``vault``) or the retention job hold
``privileged(conn)``. Statements they run are their own SQL text, so a statement prepared
under the privilege is never reused by other code.
"""

import contextlib
import sqlite3
from collections.abc import Iterator

from licmon.store.personal_columns import PERSONAL_COLUMNS

__all__ = ["PERSONAL_COLUMNS", "LicmonConnection", "install_authorizer", "privileged"]


class LicmonConnection(sqlite3.Connection):
    """A connection that knows whether the gateway is using it right now."""

    privileged = False


def install_authorizer(conn: LicmonConnection) -> None:
    def authorize(action: int, table: str | None, column: str | None, *_: object) -> int:
        if (
            action == sqlite3.SQLITE_READ
            and not conn.privileged
            and table in PERSONAL_COLUMNS
            and column in PERSONAL_COLUMNS[table]
        ):
            return sqlite3.SQLITE_IGNORE
        return sqlite3.SQLITE_OK

    conn.set_authorizer(authorize)


@contextlib.contextmanager
def privileged(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    if not isinstance(conn, LicmonConnection):
        raise TypeError("privileged access needs a licmon connection")
    conn.privileged = True
    try:
        yield conn
    finally:
        conn.privileged = False
