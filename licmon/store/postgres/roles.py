"""licmon's three database roles, and the column privileges that keep personal data apart.

- ``owner`` (NOLOGIN) owns every table: migrations run as it.
- ``app`` (NOLOGIN), licmon's normal role: SELECT on every column except the personal ones
  (``licmon.store.personal_columns``), INSERT/UPDATE/DELETE where licmon writes; the audit
  log only ever gets INSERT.
- ``gateway`` (NOLOGIN) is ``app`` plus SELECT on the personal columns: the purpose gateway
  switches to it (``SET LOCAL ROLE``) for one audited transaction.

The login role of ``database_url`` is made a member of the three; every connection licmon
opens works as ``app`` unless it switches. Role names carry a prefix derived from the
database's name when it is first set up, and recorded in it (``licmon_setup``): two
databases on one cluster never share roles, and a copy of a database keeps using its own.
"""

import re
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from licmon.store.personal_columns import PERSONAL_COLUMNS

READ_ONLY_TABLES = frozenset({"licmon_setup", "migrations"})
APPEND_ONLY_TABLES = frozenset({"audit", "erasure_lines"})


@dataclass(frozen=True, slots=True)
class Roles:
    owner: str
    app: str
    gateway: str

    @classmethod
    def with_prefix(cls, prefix: str) -> "Roles":
        return cls(f"{prefix}_owner", f"{prefix}_app", f"{prefix}_gateway")


def prefix_for(database: str) -> str:
    """``licmon_<database>``, made a plain identifier that fits PostgreSQL's 63 bytes."""
    clean = re.sub(r"[^a-z0-9_]", "_", database.lower())[:40]
    return f"licmon_{clean}"


def create_roles(conn: psycopg.Connection[Any], roles: Roles) -> None:
    """Create the roles that do not exist yet and make the login role a member of each."""
    for name in (roles.owner, roles.app, roles.gateway):
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))
        conn.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(name)))
    conn.execute(
        sql.SQL("GRANT {} TO {}").format(sql.Identifier(roles.app), sql.Identifier(roles.gateway))
    )
    owner = sql.Identifier(roles.owner)
    conn.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(owner))
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(roles.app)))


def set_role(conn: psycopg.Connection[Any], role: str, *, local: bool = True) -> None:
    scope = "SET LOCAL ROLE {}" if local else "SET ROLE {}"
    conn.execute(sql.SQL(scope).format(sql.Identifier(role)))


def grant_privileges(conn: psycopg.Connection[Any], roles: Roles) -> None:
    """Give ``app`` and ``gateway`` what they may do on every table as it is now (run as the
    owner after each migration, so a table or column added later is covered too)."""
    app, gateway = sql.Identifier(roles.app), sql.Identifier(roles.gateway)
    for table, columns in _tables(conn).items():
        name = sql.Identifier(table)
        conn.execute(sql.SQL("REVOKE ALL ON {} FROM {}, {}").format(name, app, gateway))
        hidden = PERSONAL_COLUMNS.get(table, frozenset())
        visible = [sql.Identifier(c) for c in columns if c not in hidden]
        conn.execute(
            sql.SQL("GRANT SELECT ({}) ON {} TO {}").format(sql.SQL(", ").join(visible), name, app)
        )
        if hidden:
            conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(name, gateway))
        conn.execute(sql.SQL("GRANT {} ON {} TO {}").format(_writes(table), name, app))
    conn.execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(app))
    conn.execute(sql.SQL("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {}").format(app))


def _writes(table: str) -> sql.Composable:
    if table in READ_ONLY_TABLES:
        return sql.SQL("REFERENCES")
    if table in APPEND_ONLY_TABLES:
        return sql.SQL("INSERT")
    return sql.SQL("INSERT, UPDATE, DELETE")


def _tables(conn: psycopg.Connection[Any]) -> dict[str, list[str]]:
    rows = conn.execute(
        "SELECT c.relname, a.attname FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "WHERE c.relkind IN ('r', 'p') ORDER BY c.relname, a.attnum"
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables
