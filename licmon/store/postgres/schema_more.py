"""PostgreSQL schema of migrations m003..m013 (SQLite's, same behaviour; see schema_core)."""

from licmon.domain.purposes import DAY
from licmon.store.postgres.schema_core import IDENTITY

HOUR = 3600

ABUSE = (
    f"""CREATE TABLE flags (
        id {IDENTITY},
        kind text NOT NULL,
        severity text NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high')),
        license_id bigint REFERENCES licenses(id),
        source_network text NOT NULL DEFAULT '',
        status text NOT NULL DEFAULT 'open'
            CHECK (status IN ('open', 'acknowledged', 'confirmed', 'dismissed')),
        count integer NOT NULL DEFAULT 1,
        first_seen bigint NOT NULL,
        last_seen bigint NOT NULL,
        evidence text,
        purpose text NOT NULL DEFAULT 'license.enforcement.abuse',
        retain_until bigint NOT NULL,
        restricted integer NOT NULL DEFAULT 0,
        decided_by text,
        decided_at bigint,
        decision_reason text
    )""",
    "CREATE UNIQUE INDEX flags_active ON flags(kind, coalesce(license_id, 0), source_network) "
    "WHERE status IN ('open', 'acknowledged')",
    "CREATE INDEX flags_status ON flags(status, kind)",
    "CREATE INDEX flags_license ON flags(license_id)",
    "CREATE INDEX flags_deadline ON flags(retain_until)",
)

STAFF = (
    f"""CREATE TABLE staff_users (
        id {IDENTITY},
        username text NOT NULL UNIQUE,
        password_hash text NOT NULL,
        roles text NOT NULL,
        org_id bigint,
        disabled integer NOT NULL DEFAULT 0,
        created_at bigint NOT NULL,
        password_changed_at bigint NOT NULL,
        CHECK ((roles = 'customer') = (org_id IS NOT NULL))
    )""",
    f"""CREATE TABLE staff_sessions (
        id {IDENTITY},
        user_id bigint NOT NULL REFERENCES staff_users(id),
        token_hash bytea NOT NULL UNIQUE,
        csrf_token text NOT NULL,
        created_at bigint NOT NULL,
        last_seen bigint NOT NULL,
        expires_at bigint NOT NULL,
        revoked_at bigint,
        revoked_reason text
    )""",
    "CREATE INDEX staff_sessions_user ON staff_sessions(user_id)",
    """CREATE TABLE login_challenges (
        nonce text PRIMARY KEY,
        expires_at bigint NOT NULL
    )""",
    # Personal data (the address): purpose security.authn, deleted at retain_until.
    f"""CREATE TABLE login_attempts (
        id {IDENTITY},
        at bigint NOT NULL,
        user_id bigint REFERENCES staff_users(id),
        outcome text NOT NULL,
        address text NOT NULL DEFAULT '',
        purpose text NOT NULL DEFAULT 'security.authn',
        retain_until bigint NOT NULL
    )""",
    "CREATE INDEX login_attempts_user ON login_attempts(user_id, at)",
    "CREATE INDEX login_attempts_deadline ON login_attempts(retain_until)",
    f"""CREATE TABLE api_tokens (
        id {IDENTITY},
        user_id bigint NOT NULL REFERENCES staff_users(id),
        name text NOT NULL,
        token_hash bytea NOT NULL UNIQUE,
        created_at bigint NOT NULL,
        expires_at bigint,
        last_used_at bigint,
        revoked_at bigint
    )""",
    """CREATE TABLE usage_hourly (
        license_id bigint NOT NULL,
        hour bigint NOT NULL,
        checkins integer NOT NULL DEFAULT 0,
        peak_seats integer NOT NULL DEFAULT 0,
        PRIMARY KEY (license_id, hour)
    )""",
    "CREATE INDEX usage_hourly_hour ON usage_hourly(hour)",
    # Every check-in of a known license upserts its machine: count it per license and hour.
    f"""CREATE FUNCTION licmon_count_checkin() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO usage_hourly (license_id, hour, checkins)
            VALUES (NEW.license_id, NEW.last_seen - NEW.last_seen % {HOUR}, 1)
            ON CONFLICT (license_id, hour)
            DO UPDATE SET checkins = usage_hourly.checkins + 1;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER machines_counts_checkin AFTER INSERT OR UPDATE OF last_seen ON machines "
    "FOR EACH ROW EXECUTE FUNCTION licmon_count_checkin()",
    """CREATE FUNCTION licmon_drop_usage() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM usage_hourly WHERE license_id = OLD.id;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER licenses_delete_drops_usage AFTER DELETE ON licenses "
    "FOR EACH ROW EXECUTE FUNCTION licmon_drop_usage()",
    # An erased organization's customer accounts stop working (and keep their scope).
    """CREATE FUNCTION licmon_disable_customers() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE staff_users SET disabled = 1 WHERE org_id = OLD.id;
        UPDATE staff_sessions SET revoked_at = extract(epoch FROM now())::bigint,
            revoked_reason = 'org_erased'
            WHERE revoked_at IS NULL
            AND user_id IN (SELECT id FROM staff_users WHERE org_id = OLD.id);
        RETURN OLD;
    END $$""",
    "CREATE TRIGGER orgs_delete_disables_customers BEFORE DELETE ON orgs "
    "FOR EACH ROW EXECUTE FUNCTION licmon_disable_customers()",
)

ORG_POLICY_CHANGES = (
    "ALTER TABLE orgs ADD COLUMN policy_changed_at bigint NOT NULL DEFAULT 0",
    "CREATE INDEX connections_erasure ON connections(erasure_requested_at) "
    "WHERE erasure_requested_at IS NOT NULL",
)

RESTRICTIONS = (
    f"""CREATE TABLE restrictions (
        id {IDENTITY},
        kind text NOT NULL CHECK (kind IN ('license', 'machine', 'address')),
        license_id bigint,
        machine text,
        address text,
        org_id bigint,
        purpose text NOT NULL DEFAULT 'dsr',
        created_by text NOT NULL,
        created_at bigint NOT NULL
    )""",
    "CREATE INDEX restrictions_license ON restrictions(license_id) WHERE license_id IS NOT NULL",
    "CREATE INDEX restrictions_machine ON restrictions(machine) WHERE machine IS NOT NULL",
    "CREATE INDEX restrictions_address ON restrictions(address) WHERE address IS NOT NULL",
    # A check-in is restricted when a marker covers its license, machine or address: the
    # address marker is matched here, as the owner, and never returned.
    """CREATE FUNCTION licmon_restriction_covers(
        p_license bigint, p_org bigint, p_machine text, p_address text
    ) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
        SELECT EXISTS (SELECT 1 FROM restrictions r
            WHERE (r.org_id IS NULL OR r.org_id = p_org)
            AND (r.license_id = p_license OR r.machine = p_machine OR r.address = p_address))
    $$""",
    "REVOKE EXECUTE ON FUNCTION licmon_restriction_covers FROM PUBLIC",
    "ALTER TABLE machines ADD COLUMN retain_until bigint",
    "CREATE INDEX machines_deadline ON machines(retain_until)",
    f"""UPDATE machines SET retain_until = last_seen + {DAY} * (SELECT o.retention_days
        FROM licenses l JOIN orgs o ON o.id = l.org_id WHERE l.id = machines.license_id)""",
)

DSR_FLAGS_ERASURE = ("ALTER TABLE flags ADD COLUMN erasure_requested_at bigint",)

SECURITY = (
    f"""CREATE TABLE staff_devices (
        id {IDENTITY},
        user_id bigint NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
        token_hash bytea NOT NULL UNIQUE,
        created_at bigint NOT NULL,
        last_used_at bigint NOT NULL
    )""",
    "CREATE INDEX staff_devices_user ON staff_devices(user_id)",
    "ALTER TABLE login_attempts ADD COLUMN device_id bigint",
    "CREATE INDEX login_attempts_device ON login_attempts(device_id, at)",
    """CREATE TABLE staff_totp (
        user_id bigint PRIMARY KEY REFERENCES staff_users(id) ON DELETE CASCADE,
        secret text NOT NULL,
        created_at bigint NOT NULL,
        confirmed_at bigint,
        last_step bigint NOT NULL DEFAULT 0
    )""",
    f"""CREATE TABLE staff_recovery_codes (
        id {IDENTITY},
        user_id bigint NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
        code_hash bytea NOT NULL,
        used_at bigint
    )""",
    "CREATE INDEX staff_recovery_codes_user ON staff_recovery_codes(user_id)",
    "ALTER TABLE api_tokens ADD COLUMN scopes text NOT NULL DEFAULT 'read'",
)

KNOWN_PLACES = (
    f"""CREATE TABLE org_places (
        id {IDENTITY},
        org_id bigint NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
        network text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('office', 'vpn')),
        label text NOT NULL DEFAULT '',
        created_at bigint NOT NULL,
        UNIQUE (org_id, network)
    )""",
)

USAGE_REFUSALS = ("ALTER TABLE usage_hourly ADD COLUMN refusals integer NOT NULL DEFAULT 0",)

LICENSE_MODELS = (
    "ALTER TABLE licenses ADD COLUMN max_borrow_days integer NOT NULL DEFAULT 0 "
    "CHECK (max_borrow_days BETWEEN 0 AND 3650)",
    "ALTER TABLE licenses ADD COLUMN max_offline_days integer NOT NULL DEFAULT 0 "
    "CHECK (max_offline_days BETWEEN 0 AND 3650)",
    "ALTER TABLE licenses ADD COLUMN locked_machines text NOT NULL DEFAULT '[]'",
    "ALTER TABLE seats ADD COLUMN kind text NOT NULL DEFAULT 'online' "
    "CHECK (kind IN ('online', 'borrowed', 'offline'))",
    f"""CREATE TABLE activations (
        id {IDENTITY},
        license_id bigint NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
        machine_id bigint NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
        nonce text NOT NULL,
        issued_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        return_hash text NOT NULL,
        returned_at bigint,
        UNIQUE (license_id, nonce)
    )""",
    "CREATE INDEX activations_machine ON activations(machine_id)",
)
