"""Tables of migration m016_webhooks on PostgreSQL (the SQLite ones' twins): endpoints,
their subscriptions, the outbox of events and deliveries, and the bookkeeping that keeps
license.expiring and seat.limit_reached to one event each. Secrets are stored sealed
(``licmon.services.webhooks.secrets``)."""

from licmon.store.postgres.schema_core import IDENTITY

SCHEMA = (
    f"""CREATE TABLE webhook_endpoints (
        id {IDENTITY},
        url text NOT NULL,
        sealed_secret bytea NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        created_at bigint NOT NULL
    )""",
    """CREATE TABLE webhook_subscriptions (
        endpoint_id bigint NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        event_type text NOT NULL,
        PRIMARY KEY (event_type, endpoint_id)
    )""",
    "CREATE INDEX webhook_subscriptions_endpoint ON webhook_subscriptions(endpoint_id)",
    f"""CREATE TABLE webhook_events (
        id {IDENTITY},
        message_id text NOT NULL UNIQUE,
        event_type text NOT NULL,
        payload text NOT NULL,
        created_at bigint NOT NULL
    )""",
    f"""CREATE TABLE webhook_deliveries (
        id {IDENTITY},
        event_id bigint NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
        endpoint_id bigint NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        status text NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        created_at bigint NOT NULL,
        next_attempt_at bigint,
        last_attempt_at bigint,
        last_result text NOT NULL DEFAULT '',
        UNIQUE (event_id, endpoint_id)
    )""",
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at)",
    "CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id)",
    """CREATE TABLE webhook_expiry_notices (
        license_id bigint NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
        valid_until bigint NOT NULL,
        noticed_at bigint NOT NULL,
        PRIMARY KEY (license_id, valid_until)
    )""",
    """CREATE TABLE webhook_seat_limits (
        license_id bigint PRIMARY KEY REFERENCES licenses(id) ON DELETE CASCADE,
        told_at bigint NOT NULL
    )""",
)
