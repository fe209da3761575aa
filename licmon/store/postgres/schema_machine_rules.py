"""Migration m017 in PostgreSQL: activation limits and lock moves, overage, processes per
machine, lease chains (the same tables and columns as SQLite's m017_machine_rules)."""

from licmon.store.postgres.schema_core import IDENTITY

MACHINE_RULES = (
    "ALTER TABLE licenses ADD COLUMN activation_limit integer NOT NULL DEFAULT 0 "
    "CHECK (activation_limit BETWEEN 0 AND 1000000)",
    "ALTER TABLE licenses ADD COLUMN lock_moves integer NOT NULL DEFAULT 1 "
    "CHECK (lock_moves BETWEEN 0 AND 1000)",
    "ALTER TABLE licenses ADD COLUMN lock_move_days integer NOT NULL DEFAULT 30 "
    "CHECK (lock_move_days BETWEEN 1 AND 3650)",
    "ALTER TABLE licenses ADD COLUMN overage_percent integer NOT NULL DEFAULT 0 "
    "CHECK (overage_percent BETWEEN 0 AND 100)",
    "ALTER TABLE licenses ADD COLUMN max_processes integer NOT NULL DEFAULT 0 "
    "CHECK (max_processes BETWEEN 0 AND 1000)",
    "ALTER TABLE licenses ADD COLUMN refuse_cloned integer NOT NULL DEFAULT 0 "
    "CHECK (refuse_cloned IN (0, 1))",
    # Locked in by activation (an activation-limit license); NULL: not locked in.
    "ALTER TABLE machines ADD COLUMN activated_at bigint",
    "CREATE INDEX machines_activated ON machines(license_id) WHERE activated_at IS NOT NULL",
    f"""CREATE TABLE lock_moves (
        id {IDENTITY},
        license_id bigint NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
        moved_at bigint NOT NULL
    )""",
    "CREATE INDEX lock_moves_license ON lock_moves(license_id, moved_at)",
    """CREATE TABLE machine_processes (
        machine_id bigint NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
        process text NOT NULL,
        expires_at bigint NOT NULL,
        PRIMARY KEY (machine_id, process)
    )""",
    """CREATE TABLE lease_chains (
        machine_id bigint PRIMARY KEY REFERENCES machines(id) ON DELETE CASCADE,
        secret_hash bytea NOT NULL,
        head text NOT NULL,
        previous text,
        updated_at bigint NOT NULL
    )""",
)
