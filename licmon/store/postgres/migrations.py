"""Schema migrations for PostgreSQL: the same ids as SQLite's, each recorded in the
transaction that applies it, run as the owner role, privileges granted again after each.

Append a migration with ``@migration`` after the last one (its name is its id).
"""

from collections.abc import Callable, Iterable
from typing import Any

import psycopg

from licmon.store.postgres import (
    admin_sql,
    erasure_lines,
    learned_sql,
    schema_core,
    schema_issue13,
    schema_machine_rules,
    schema_more,
    shared_abuse,
    webhooks_schema,
)
from licmon.store.postgres.roles import Roles, grant_privileges, set_role

Migration = Callable[[psycopg.Connection[Any]], None]
MIGRATIONS: list[tuple[str, Migration]] = []
# Migrations with no SQLite counterpart (what only several nodes need); every other id is
# SQLite's, in SQLite's order.
POSTGRES_ONLY = frozenset({"m019_detector_records", "m022_erasure_lines"})


def migration(func: Migration) -> Migration:
    MIGRATIONS.append((func.__name__, func))
    return func


def run(conn: psycopg.Connection[Any], statements: Iterable[str]) -> None:
    for statement in statements:
        conn.execute(statement.encode())


@migration
def m001_core(conn: psycopg.Connection[Any]) -> None:
    run(conn, schema_core.CORE)


@migration
def m002_privacy(conn: psycopg.Connection[Any]) -> None:
    run(conn, schema_core.PRIVACY)


@migration
def m003_abuse(conn: psycopg.Connection[Any]) -> None:
    run(conn, schema_more.ABUSE)


@migration
def m004_staff(conn: psycopg.Connection[Any]) -> None:
    run(conn, schema_more.STAFF)


@migration
def m005_org_policy_changes(conn: psycopg.Connection[Any]) -> None:
    run(conn, schema_more.ORG_POLICY_CHANGES)


@migration
def m006_restrictions_and_machine_deadlines(conn: psycopg.Connection[Any]) -> None:
    run(conn, schema_more.RESTRICTIONS)


@migration
def m007_dsr_flags_erasure(conn: psycopg.Connection[Any]) -> None:
    run(conn, schema_more.DSR_FLAGS_ERASURE)


@migration
def m009_security(conn: psycopg.Connection[Any]) -> None:
    run(conn, schema_more.SECURITY)


@migration
def m012_known_places(conn: psycopg.Connection[Any]) -> None:
    run(conn, schema_more.KNOWN_PLACES)


@migration
def m013_usage_refusals(conn: psycopg.Connection[Any]) -> None:
    run(conn, schema_more.USAGE_REFUSALS)


@migration
def m011_license_models(conn: psycopg.Connection[Any]) -> None:
    run(conn, schema_more.LICENSE_MODELS)


@migration
def m015_admin_idempotency(conn: psycopg.Connection[Any]) -> None:
    """Idempotency-Key records of the admin API (issue 18)."""
    run(conn, admin_sql.SCHEMA)


@migration
def m016_webhooks(conn: psycopg.Connection[Any]) -> None:
    """Webhook endpoints, their subscriptions, the outbox of events and deliveries."""
    run(conn, webhooks_schema.SCHEMA)


@migration
def m017_machine_rules(conn: psycopg.Connection[Any]) -> None:
    run(conn, schema_machine_rules.MACHINE_RULES)


@migration
def m018_detector_learned(conn: psycopg.Connection[Any]) -> None:
    run(conn, learned_sql.SCHEMA)


@migration
def m019_detector_records(conn: psycopg.Connection[Any]) -> None:
    run(conn, shared_abuse.SCHEMA)


@migration
def m020_seat_counts(conn: psycopg.Connection[Any]) -> None:
    run(conn, schema_issue13.SEAT_COUNTS)


@migration
def m021_usage_per_batch(conn: psycopg.Connection[Any]) -> None:
    run(conn, schema_issue13.USAGE_PER_BATCH)


@migration
def m022_erasure_lines(conn: psycopg.Connection[Any]) -> None:
    run(conn, erasure_lines.SCHEMA)


@migration
def m023_plain_checks(conn: psycopg.Connection[Any]) -> None:
    """SQLite's m023 rewrites CHECK (x IN (...)) that cost a temporary index per row there;
    PostgreSQL's cost nothing alike: recorded so that the ids both backends have keep one
    order."""


def applied(conn: psycopg.Connection[Any]) -> set[str]:
    return {row[0] for row in conn.execute("SELECT id FROM migrations").fetchall()}


def apply(conn: psycopg.Connection[Any], roles: Roles) -> list[str]:
    """Apply every pending migration in order (the caller holds the setup lock); their ids."""
    done = applied(conn)
    new = []
    for name, func in MIGRATIONS:
        if name in done:
            continue
        with conn.transaction():
            set_role(conn, roles.owner)
            func(conn)
            conn.execute("INSERT INTO migrations (id) VALUES (%s)", (name,))
            grant_privileges(conn, roles)
        new.append(name)
    return new
