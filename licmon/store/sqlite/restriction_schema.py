"""Restriction markers and machine deadlines (migration m006).

A restriction names its subject: a license (``license_id``), a machine fingerprint
(``machine``) or a host address (``address``, personal data kept for as long as the
subject's own request lasts: without it the request could not be honoured), within one
organization or all of them (``org_id`` NULL). Rows written later for the subject inherit
it. ``machines.retain_until`` is the machine's deadline: while a seat is live, else the
organization's ``retention_days`` after it was last seen.
"""

from licmon.domain.purposes import DAY

RESTRICTION_SCHEMA = (
    """CREATE TABLE restrictions (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('license', 'machine', 'address')),
        license_id INTEGER,
        machine TEXT,
        address TEXT,
        org_id INTEGER,
        purpose TEXT NOT NULL DEFAULT 'dsr',
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL
    )""",
    "CREATE INDEX restrictions_license ON restrictions(license_id) WHERE license_id IS NOT NULL",
    "CREATE INDEX restrictions_machine ON restrictions(machine) WHERE machine IS NOT NULL",
    "CREATE INDEX restrictions_address ON restrictions(address) WHERE address IS NOT NULL",
    "ALTER TABLE machines ADD COLUMN retain_until INTEGER",
    "CREATE INDEX machines_deadline ON machines(retain_until)",
    f"""UPDATE machines SET retain_until = last_seen + {DAY} * (SELECT o.retention_days
        FROM licenses l JOIN orgs o ON o.id = l.org_id WHERE l.id = machines.license_id)""",
)
