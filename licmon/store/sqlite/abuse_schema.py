"""The flags table (migration m003_abuse).

One active (open or acknowledged) flag per kind, license and source network: a detector
firing again counts on it. ``evidence`` and ``source_network`` are personal data (purpose
``license.enforcement.abuse``, deadline ``retain_until``), read only through the gateway.
"""

ABUSE_SCHEMA = (
    """CREATE TABLE flags (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high')),
        license_id INTEGER REFERENCES licenses(id),
        source_network TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'open'
            CHECK (status IN ('open', 'acknowledged', 'confirmed', 'dismissed')),
        count INTEGER NOT NULL DEFAULT 1,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        evidence TEXT,
        purpose TEXT NOT NULL DEFAULT 'license.enforcement.abuse',
        retain_until INTEGER NOT NULL,
        restricted INTEGER NOT NULL DEFAULT 0,
        decided_by TEXT,
        decided_at INTEGER,
        decision_reason TEXT
    )""",
    "CREATE UNIQUE INDEX flags_active ON flags(kind, ifnull(license_id, 0), source_network) "
    "WHERE status IN ('open', 'acknowledged')",
    "CREATE INDEX flags_status ON flags(status, kind)",
    "CREATE INDEX flags_license ON flags(license_id)",
    "CREATE INDEX flags_deadline ON flags(retain_until)",
)
