"""The staff console's tables (migration m004_staff).

Secrets are stored only as hashes: argon2id for passwords, SHA-256 for session and API
tokens (256 random bits each). ``login_attempts.address`` is personal data under the
purpose ``security.authn``, with a deadline; the retention job deletes it.
``usage_hourly`` holds per-license counts (no address, no machine) for the charts, kept
``usage_history_days``.
"""

HOUR = 3600

_COUNT_CHECKIN = f"""INSERT INTO usage_hourly (license_id, hour, checkins)
    VALUES (NEW.license_id, NEW.last_seen - NEW.last_seen % {HOUR}, 1)
    ON CONFLICT (license_id, hour) DO UPDATE SET checkins = checkins + 1;"""

STAFF_SCHEMA = (
    """CREATE TABLE staff_users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        roles TEXT NOT NULL,
        org_id INTEGER,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        password_changed_at INTEGER NOT NULL,
        CHECK ((roles = 'customer') = (org_id IS NOT NULL))
    )""",
    """CREATE TABLE staff_sessions (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES staff_users(id),
        token_hash BLOB NOT NULL UNIQUE,
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER,
        revoked_reason TEXT
    )""",
    "CREATE INDEX staff_sessions_user ON staff_sessions(user_id)",
    # Nonces of login challenges already used, until the challenge would have expired.
    """CREATE TABLE login_challenges (
        nonce TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID""",
    # Personal data (the address): purpose security.authn, deleted at retain_until.
    """CREATE TABLE login_attempts (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        user_id INTEGER REFERENCES staff_users(id),
        outcome TEXT NOT NULL,
        address TEXT NOT NULL DEFAULT '',
        purpose TEXT NOT NULL DEFAULT 'security.authn',
        retain_until INTEGER NOT NULL
    )""",
    "CREATE INDEX login_attempts_user ON login_attempts(user_id, at)",
    "CREATE INDEX login_attempts_deadline ON login_attempts(retain_until)",
    """CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES staff_users(id),
        name TEXT NOT NULL,
        token_hash BLOB NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        last_used_at INTEGER,
        revoked_at INTEGER
    )""",
    """CREATE TABLE usage_hourly (
        license_id INTEGER NOT NULL,
        hour INTEGER NOT NULL,
        checkins INTEGER NOT NULL DEFAULT 0,
        peak_seats INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (license_id, hour)
    ) WITHOUT ROWID""",
    "CREATE INDEX usage_hourly_hour ON usage_hourly(hour)",
    # Every check-in of a known license upserts its machine: count it per license and hour
    # (until m021_usage_per_batch, which drops these two: the writer counts per batch).
    f"CREATE TRIGGER machines_insert_counts_checkin AFTER INSERT ON machines "
    f"BEGIN {_COUNT_CHECKIN} END",
    f"CREATE TRIGGER machines_update_counts_checkin AFTER UPDATE OF last_seen ON machines "
    f"BEGIN {_COUNT_CHECKIN} END",
    "CREATE TRIGGER licenses_delete_drops_usage AFTER DELETE ON licenses "
    "BEGIN DELETE FROM usage_hourly WHERE license_id = OLD.id; END",
    # An erased organization's customer accounts stop working (and keep their scope).
    """CREATE TRIGGER orgs_delete_disables_customers BEFORE DELETE ON orgs BEGIN
        UPDATE staff_users SET disabled = 1 WHERE org_id = OLD.id;
        UPDATE staff_sessions SET revoked_at = unixepoch(), revoked_reason = 'org_erased'
            WHERE revoked_at IS NULL
            AND user_id IN (SELECT id FROM staff_users WHERE org_id = OLD.id);
    END""",
)
