"""Connections to PostgreSQL, and the first-start set-up: roles, migrations, pepper check."""

from typing import Any

import psycopg

from licmon.errors import ConfigError
from licmon.store.postgres import migrations
from licmon.store.postgres.roles import Roles, create_roles, grant_privileges, prefix_for, set_role

SETUP_LOCK = 0x6C69636D6F6E  # "licmon": one node at a time sets the database up
SETUP_SCHEMA = (
    "CREATE TABLE licmon_setup (key text PRIMARY KEY, value text NOT NULL)",
    """CREATE TABLE migrations (
        id text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
    )""",
)
PEPPER_MISMATCH = (
    "database {where}: this node's pepper differs from the one the database was initialized "
    "with; copy the data directory's pepper file from a node that serves it"
)


def connect(url: str, **kwargs: Any) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(url, **kwargs)
    except psycopg.Error as exc:
        raise ConfigError(f"database {describe(url)} cannot be opened: {cause(exc)}") from None


def describe(url: str) -> str:
    """The URL's database and host, never its password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(an invalid database_url)"
    host = str(info.get("host", "localhost"))
    return f"{info.get('dbname', '')} on {'a local socket' if host.startswith('/') else host}"


def cause(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_roles(conn: psycopg.Connection[Any]) -> Roles:
    row = conn.execute("SELECT value FROM licmon_setup WHERE key = 'role_prefix'").fetchone()
    if row is None:
        raise ConfigError("the database's licmon_setup table lost its role_prefix")
    return Roles.with_prefix(str(row[0]))


def prepare_database(url: str, pepper_fingerprint: str | None = None) -> Roles:
    """Set up roles and schema the first time, apply pending migrations, check the pepper."""
    with connect(url, autocommit=True) as conn:  # each step its own transaction
        try:
            return _prepare(conn, pepper_fingerprint, url)
        except psycopg.Error as exc:
            raise ConfigError(f"database {describe(url)} cannot be set up: {cause(exc)}") from None


def _prepare(conn: psycopg.Connection[Any], fingerprint: str | None, url: str) -> Roles:
    conn.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK,))
    try:
        roles = _set_up_once(conn)
        migrations.apply(conn, roles)
        if fingerprint is not None:
            _check_pepper(conn, roles, fingerprint, url)
        return roles
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))


def _set_up_once(conn: psycopg.Connection[Any]) -> Roles:
    with conn.transaction():
        found = conn.execute("SELECT to_regclass('public.licmon_setup')").fetchone()
        if found is not None and found[0] is not None:
            roles = read_roles(conn)
            create_roles(conn, roles)  # a copied database: its roles exist, the member may not
            return roles
        (database,) = conn.execute("SELECT current_database()").fetchone() or ("licmon",)
        prefix = prefix_for(str(database))
        roles = Roles.with_prefix(prefix)
        create_roles(conn, roles)
        set_role(conn, roles.owner)
        migrations.run(conn, SETUP_SCHEMA)
        conn.execute("INSERT INTO licmon_setup VALUES ('role_prefix', %s)", (prefix,))
        grant_privileges(conn, roles)
        return roles


def _check_pepper(conn: psycopg.Connection[Any], roles: Roles, fingerprint: str, url: str) -> None:
    with conn.transaction():
        set_role(conn, roles.owner)
        conn.execute(
            "INSERT INTO licmon_setup VALUES ('pepper_fingerprint', %s) ON CONFLICT DO NOTHING",
            (fingerprint,),
        )
        row = conn.execute(
            "SELECT value FROM licmon_setup WHERE key = 'pepper_fingerprint'"
        ).fetchone()
    if row is None or row[0] != fingerprint:
        raise ConfigError(PEPPER_MISMATCH.format(where=describe(url)))
