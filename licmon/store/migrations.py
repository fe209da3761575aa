"""Schema migrations, each applied in the transaction that records it (sqlite-utils 4)."""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

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


def apply(db: Database) -> None:
    migrations.apply(db)
