"""The authorizer that hides the personal columns (listed in ``store.personal_columns``).

Every connection licmon opens reads these columns as NULL (SQLite's authorizer answers
SQLITE_IGNORE), except while one of these holds ``privileged(conn)``: the purpose gateway
(``vault``, the data-subject request and restriction modules), the retention job, or an
ingest writer whose statements match a row on a personal column (the connection log's keyed
update, the abuse flags' upsert). Statements they run are their own SQL text, so a statement
prepared under the privilege is never reused by other code
(tests/privacy/test_only_the_gateway_reads.py)."""

import sqlite3

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


class privileged:
    """``with privileged(conn):`` the personal columns read as stored (a class, not a
    generator: it runs twice per check-in)."""

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        if not isinstance(conn, LicmonConnection):
            raise TypeError("privileged access needs a licmon connection")
        self._conn = conn

    def __enter__(self) -> LicmonConnection:
        self._conn.privileged = True
        return self._conn

    def __exit__(self, *_: object) -> None:
        self._conn.privileged = False
