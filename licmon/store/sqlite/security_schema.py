"""Tables of migration m009_security: known devices, TOTP second factors, token scopes.

Secrets are stored as hashes (device tokens, recovery codes); the TOTP seed must be kept
as it is to compute codes. Every table is keyed by the staff user and deleted with it.
"""

SECURITY_SCHEMA = (
    # A browser that logged in to the account before: its failures count on their own.
    """CREATE TABLE staff_devices (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
        token_hash BLOB NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL
    )""",
    "CREATE INDEX staff_devices_user ON staff_devices(user_id)",
    "ALTER TABLE login_attempts ADD COLUMN device_id INTEGER",
    "CREATE INDEX login_attempts_device ON login_attempts(device_id, at)",
    """CREATE TABLE staff_totp (
        user_id INTEGER PRIMARY KEY REFERENCES staff_users(id) ON DELETE CASCADE,
        secret TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        confirmed_at INTEGER,
        last_step INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE staff_recovery_codes (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
        code_hash BLOB NOT NULL,
        used_at INTEGER
    )""",
    "CREATE INDEX staff_recovery_codes_user ON staff_recovery_codes(user_id)",
    # Tokens issued before scopes existed keep what they could do then: read.
    "ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read'",
)
