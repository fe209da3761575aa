"""Schema migrations, each applied in the transaction that records it (sqlite-utils 4)."""

import logging
import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from licmon.store.sqlite.abuse_schema import ABUSE_SCHEMA
from licmon.store.sqlite.learned_sql import SCHEMA as LEARNED_SCHEMA
from licmon.store.sqlite.places_sql import SCHEMA as PLACES_SCHEMA
from licmon.store.sqlite.restriction_schema import RESTRICTION_SCHEMA
from licmon.store.sqlite.seat_counts_schema import SEAT_COUNTS_SCHEMA
from licmon.store.sqlite.security_schema import SECURITY_SCHEMA
from licmon.store.sqlite.staff_schema import STAFF_SCHEMA
from licmon.store.sqlite.webhooks_schema import WEBHOOKS_SCHEMA

log = logging.getLogger(__name__)
migrations = Migrations("licmon")

CATALOG_TABLES = ("orgs", "products", "licenses")

CORE_SCHEMA = (
    """CREATE TABLE orgs (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        ip_precision TEXT NOT NULL DEFAULT 'full'
            CHECK (ip_precision IN ('full', 'network', 'none')),
        retention_days INTEGER NOT NULL DEFAULT 60 CHECK (retention_days BETWEEN 1 AND 3650),
        created_at INTEGER NOT NULL
    )""",
    """CREATE TABLE products (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL
    )""",
    """CREATE TABLE licenses (
        id INTEGER PRIMARY KEY,
        org_id INTEGER NOT NULL REFERENCES orgs(id),
        product_id INTEGER NOT NULL REFERENCES products(id),
        key_hash BLOB NOT NULL UNIQUE,
        seats INTEGER NOT NULL CHECK (seats >= 1),
        max_machines INTEGER NOT NULL CHECK (max_machines >= 1),
        valid_from INTEGER,
        valid_until INTEGER,
        status TEXT NOT NULL DEFAULT 'active'
            CHECK (status IN ('active', 'suspended', 'revoked')),
        allowed_countries TEXT NOT NULL DEFAULT '',
        lease_seconds INTEGER NOT NULL CHECK (lease_seconds > 0),
        grace_seconds INTEGER NOT NULL CHECK (grace_seconds >= 0),
        entitlements TEXT NOT NULL DEFAULT '[]',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    )""",
    "CREATE INDEX licenses_org ON licenses(org_id)",
    """CREATE TABLE machines (
        id INTEGER PRIMARY KEY,
        license_id INTEGER NOT NULL REFERENCES licenses(id),
        fingerprint TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        UNIQUE (license_id, fingerprint)
    )""",
    """CREATE TABLE seats (
        license_id INTEGER NOT NULL REFERENCES licenses(id),
        machine_id INTEGER NOT NULL REFERENCES machines(id),
        granted_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (license_id, machine_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX seats_expiry ON seats(license_id, expires_at)",
    # Personal data: address and everything derived from it carry purpose and deadline.
    """CREATE TABLE connections (
        id INTEGER PRIMARY KEY,
        license_id INTEGER NOT NULL REFERENCES licenses(id),
        machine_id INTEGER NOT NULL REFERENCES machines(id),
        day TEXT NOT NULL,
        address TEXT NOT NULL DEFAULT '',
        precision TEXT NOT NULL CHECK (precision IN ('full', 'network', 'none')),
        country TEXT,
        city TEXT,
        latitude REAL,
        longitude REAL,
        accuracy_km INTEGER,
        asn INTEGER,
        anonymizer TEXT,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        checkins INTEGER NOT NULL DEFAULT 0,
        denials INTEGER NOT NULL DEFAULT 0,
        purpose TEXT NOT NULL,
        retain_until INTEGER NOT NULL,
        restricted INTEGER NOT NULL DEFAULT 0,
        UNIQUE (license_id, machine_id, day, address)
    )""",
    "CREATE INDEX connections_deadline ON connections(retain_until)",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT INTO meta (key, value) VALUES ('catalog_version', 0)",
)


def _catalog_triggers() -> list[str]:
    """Any change to orgs, products or licenses bumps catalog_version: servers reload."""
    bump = "UPDATE meta SET value = value + 1 WHERE key = 'catalog_version';"
    return [
        f"CREATE TRIGGER {table}_{event.lower()}_bumps_catalog AFTER {event} ON {table} "
        f"BEGIN {bump} END"
        for table in CATALOG_TABLES
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


@migrations()
def m001_core(db: Database) -> None:
    for statement in (*CORE_SCHEMA, *_catalog_triggers()):
        db.execute(statement)


PRIVACY_SCHEMA = (
    # Append-only, hash-chained. Ids and counts only: never addresses, keys or tokens.
    """CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        outcome TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}',
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE
    )""",
    "CREATE INDEX audit_target ON audit(target)",
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    """CREATE TABLE legal_holds (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL CHECK (scope IN ('org', 'license', 'machine')),
        scope_id INTEGER NOT NULL,
        reason TEXT NOT NULL,
        citation TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        released_at INTEGER,
        released_by TEXT
    )""",
    """CREATE TABLE retention_runs (
        id INTEGER PRIMARY KEY,
        actor TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        cutoff INTEGER NOT NULL,
        reduced INTEGER NOT NULL DEFAULT 0,
        folded INTEGER NOT NULL DEFAULT 0,
        erased INTEGER NOT NULL DEFAULT 0,
        held INTEGER NOT NULL DEFAULT 0,
        violations INTEGER,
        status TEXT NOT NULL DEFAULT 'running'
    )""",
    # Anonymous aggregates: no license, no organization, no address.
    """CREATE TABLE usage_daily (
        day TEXT NOT NULL,
        product TEXT NOT NULL,
        country TEXT NOT NULL DEFAULT '',
        connections INTEGER NOT NULL DEFAULT 0,
        checkins INTEGER NOT NULL DEFAULT 0,
        denials INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, product, country)
    ) WITHOUT ROWID""",
    "ALTER TABLE connections ADD COLUMN erasure_requested_at INTEGER",
    "CREATE INDEX connections_machine ON connections(machine_id)",
    "CREATE INDEX connections_license_day ON connections(license_id, day)",
)


@migrations()
def m002_privacy(db: Database) -> None:
    for statement in PRIVACY_SCHEMA:
        db.execute(statement)


@migrations()
def m003_abuse(db: Database) -> None:
    """Abuse flags, deduplicated; their evidence is personal data with a deadline."""
    for statement in ABUSE_SCHEMA:
        db.execute(statement)


@migrations()
def m004_staff(db: Database) -> None:
    """Staff console: accounts, sessions, login attempts, API tokens, hourly usage."""
    for statement in STAFF_SCHEMA:
        db.execute(statement)


@migrations()
def m005_org_policy_changes(db: Database) -> None:
    """When an organization last changed its precision or retention: the retention job
    re-applies the policy to stored rows only for organizations that changed it. And an
    index that lets it find pending erasures without scanning the connection log."""
    db.execute("ALTER TABLE orgs ADD COLUMN policy_changed_at INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "CREATE INDEX connections_erasure ON connections(erasure_requested_at) "
        "WHERE erasure_requested_at IS NOT NULL"
    )


@migrations()
def m006_restrictions_and_machine_deadlines(db: Database) -> None:
    """Restriction as a lasting marker on its subject (new rows inherit it), and a deadline
    on every machine (its fingerprint and first/last seen are personal data)."""
    for statement in RESTRICTION_SCHEMA:
        db.execute(statement)


@migrations()
def m007_dsr_flags_erasure(db: Database) -> None:
    """A flag whose erasure waits for a legal hold: restricted now, erased when it ends."""
    db.execute("ALTER TABLE flags ADD COLUMN erasure_requested_at INTEGER")


@migrations()
def m009_security(db: Database) -> None:
    """Known devices (login throttling that spares the owner), second factors, token
    scopes. The new tables are keyed by user and go with the account (ON DELETE CASCADE)."""
    for statement in SECURITY_SCHEMA:
        db.execute(statement)


@migrations()
def m012_known_places(db: Database) -> None:
    """An organization's declared networks (offices, VPN egresses), for the detectors."""
    for statement in PLACES_SCHEMA:
        db.execute(statement)


@migrations()
def m013_usage_refusals(db: Database) -> None:
    """Check-ins refused for seats_exhausted, per license and hour: the abuse report's
    over-demand signal and its chart (counts, no machine, no address)."""
    db.execute("ALTER TABLE usage_hourly ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0")


LICENSE_MODELS_SCHEMA = (
    "ALTER TABLE licenses ADD COLUMN max_borrow_days INTEGER NOT NULL DEFAULT 0 "
    "CHECK (max_borrow_days BETWEEN 0 AND 3650)",
    "ALTER TABLE licenses ADD COLUMN max_offline_days INTEGER NOT NULL DEFAULT 0 "
    "CHECK (max_offline_days BETWEEN 0 AND 3650)",
    "ALTER TABLE licenses ADD COLUMN locked_machines TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE seats ADD COLUMN kind TEXT NOT NULL DEFAULT 'online' "
    "CHECK (kind IN ('online', 'borrowed', 'offline'))",
    # Air-gapped activations: the answered request's nonce (answered once), the seat's end,
    # and a hash of the return code; never the key, never the license file itself.
    """CREATE TABLE activations (
        id INTEGER PRIMARY KEY,
        license_id INTEGER NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
        machine_id INTEGER NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
        nonce TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        return_hash TEXT NOT NULL,
        returned_at INTEGER,
        UNIQUE (license_id, nonce)
    )""",
    "CREATE INDEX activations_machine ON activations(machine_id)",
)


@migrations()
def m011_license_models(db: Database) -> None:
    """Borrowed and air-gapped seats: limits per license, a kind per seat, activations."""
    for statement in LICENSE_MODELS_SCHEMA:
        db.execute(statement)


IDEMPOTENCY_SCHEMA = (
    # The admin API's Idempotency-Key records: a keyed hash of the key, a hash of the
    # request and the first answer sealed under a secret the database does not hold.
    """CREATE TABLE idempotency_keys (
        owner INTEGER NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
        route TEXT NOT NULL,
        key_hash BLOB NOT NULL,
        request_hash BLOB NOT NULL,
        status INTEGER,
        sealed BLOB,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (owner, route, key_hash)
    )""",  # a rowid table: erasures name the rows they delete by rowid
    "CREATE INDEX idempotency_keys_age ON idempotency_keys(created_at)",
)


@migrations()
def m015_admin_idempotency(db: Database) -> None:
    """Idempotency-Key records of the admin API (issue 18)."""
    for statement in IDEMPOTENCY_SCHEMA:
        db.execute(statement)


@migrations()
def m016_webhooks(db: Database) -> None:
    """Webhook endpoints, their subscriptions, the outbox of events and deliveries."""
    for statement in WEBHOOKS_SCHEMA:
        db.execute(statement)


MACHINE_RULES_SCHEMA = (
    "ALTER TABLE licenses ADD COLUMN activation_limit INTEGER NOT NULL DEFAULT 0 "
    "CHECK (activation_limit BETWEEN 0 AND 1000000)",
    "ALTER TABLE licenses ADD COLUMN lock_moves INTEGER NOT NULL DEFAULT 1 "
    "CHECK (lock_moves BETWEEN 0 AND 1000)",
    "ALTER TABLE licenses ADD COLUMN lock_move_days INTEGER NOT NULL DEFAULT 30 "
    "CHECK (lock_move_days BETWEEN 1 AND 3650)",
    "ALTER TABLE licenses ADD COLUMN overage_percent INTEGER NOT NULL DEFAULT 0 "
    "CHECK (overage_percent BETWEEN 0 AND 100)",
    "ALTER TABLE licenses ADD COLUMN max_processes INTEGER NOT NULL DEFAULT 0 "
    "CHECK (max_processes BETWEEN 0 AND 1000)",
    "ALTER TABLE licenses ADD COLUMN refuse_cloned INTEGER NOT NULL DEFAULT 0 "
    "CHECK (refuse_cloned IN (0, 1))",
    # Locked in by activation (an activation-limit license); NULL: not locked in.
    "ALTER TABLE machines ADD COLUMN activated_at INTEGER",
    "CREATE INDEX machines_activated ON machines(license_id) WHERE activated_at IS NOT NULL",
    # Node-lock moves, counted per license and period (ids and times only).
    """CREATE TABLE lock_moves (
        id INTEGER PRIMARY KEY,
        license_id INTEGER NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
        moved_at INTEGER NOT NULL
    )""",
    "CREATE INDEX lock_moves_license ON lock_moves(license_id, moved_at)",
    # Program instances running on a machine, each until its lease ends.
    """CREATE TABLE machine_processes (
        machine_id INTEGER NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
        process TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (machine_id, process)
    )""",
    # The installation's lease chain: its secret's hash, the newest lease id and the one
    # before it. Goes with its machine.
    """CREATE TABLE lease_chains (
        machine_id INTEGER PRIMARY KEY REFERENCES machines(id) ON DELETE CASCADE,
        secret_hash BLOB NOT NULL,
        head TEXT NOT NULL,
        previous TEXT,
        updated_at INTEGER NOT NULL
    )""",
)


@migrations()
def m017_machine_rules(db: Database) -> None:
    """Activation limits and lock moves, overage, processes per machine, lease chains."""
    for statement in MACHINE_RULES_SCHEMA:
        db.execute(statement)


@migrations()
def m018_detector_learned(db: Database) -> None:
    """What the detectors learned (clock offsets, first countries, hops as pseudonyms),
    read back after a restart."""
    for statement in LEARNED_SCHEMA:
        db.execute(statement)


@migrations()
def m020_seat_counts(db: Database) -> None:
    """A seat counter per license, kept by triggers: seat decisions in O(1) (issue 13)."""
    for statement in SEAT_COUNTS_SCHEMA:
        db.execute(statement)


@migrations()
def m021_usage_per_batch(db: Database) -> None:
    """Check-ins are counted per license and hour by the writer, once per batch: no
    trigger on every machine upsert (issue 13)."""
    db.execute("DROP TRIGGER machines_insert_counts_checkin")
    db.execute("DROP TRIGGER machines_update_counts_checkin")


# CHECK (x IN (a, b, c)): SQLite builds a temporary index of the three constants for every
# row it checks; the same rule written as equalities costs a few comparisons. Rewritten in
# place, as SQLite documents for a changed CHECK that every row already meets
# (lang_altertable.html, "Making Other Kinds Of Table Schema Changes").
PLAIN_CHECKS = (
    (
        "seats",
        "kind IN ('online', 'borrowed', 'offline')",
        "kind = 'online' OR kind = 'borrowed' OR kind = 'offline'",
    ),
    (
        "connections",
        "precision IN ('full', 'network', 'none')",
        "precision = 'full' OR precision = 'network' OR precision = 'none'",
    ),
)


@migrations()
def m023_plain_checks(db: Database) -> None:
    """The enumerations a check-in writes (seat kind, connection precision) are checked
    without a temporary index per row (issue 13). Only a speed-up: a build of SQLite that
    refuses to write its schema (defensive mode) keeps the old text, and says so."""
    (version,) = db.execute("PRAGMA schema_version").fetchone()
    db.execute("PRAGMA writable_schema = ON")
    try:
        for table, before, after in PLAIN_CHECKS:
            db.execute(
                "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
                "WHERE type = 'table' AND name = ? AND instr(sql, ?) > 0",
                [before, after, table, before],
            )
        db.execute(f"PRAGMA schema_version = {int(version) + 1}")
    except sqlite3.OperationalError as exc:  # e.g. "table sqlite_master may not be modified"
        log.warning("the CHECKs of seats and connections stay as they were: %s", exc)
    finally:
        db.execute("PRAGMA writable_schema = OFF")


def apply(db: Database) -> None:
    migrations.apply(db)
