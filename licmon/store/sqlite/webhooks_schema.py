"""Tables of migration m016_webhooks: endpoints, their subscriptions, the outbox.

An event is inserted (with one delivery per subscribed endpoint) by the store function
that makes the change it tells of, in that change's transaction: a change that rolls back
leaves no event, and a committed one always has its deliveries. An endpoint's signing
secret is stored sealed (AES-GCM under a key derived from the pepper; ``licmon.services.
webhooks.secrets``): the server must sign with it, so a hash would not do.
"""

WEBHOOKS_SCHEMA = (
    """CREATE TABLE webhook_endpoints (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        sealed_secret BLOB NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        created_at INTEGER NOT NULL
    )""",
    """CREATE TABLE webhook_subscriptions (
        endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        event_type TEXT NOT NULL,
        PRIMARY KEY (event_type, endpoint_id)
    )""",
    "CREATE INDEX webhook_subscriptions_endpoint ON webhook_subscriptions(endpoint_id)",
    """CREATE TABLE webhook_events (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        event_type TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL
    )""",
    """CREATE TABLE webhook_deliveries (
        id INTEGER PRIMARY KEY,
        event_id INTEGER NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
        endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        next_attempt_at INTEGER,
        last_attempt_at INTEGER,
        last_result TEXT NOT NULL DEFAULT '',
        UNIQUE (event_id, endpoint_id)
    )""",
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at)",
    "CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id)",
    # license.expiring is told once per license and deadline (a new valid_until, a new one).
    """CREATE TABLE webhook_expiry_notices (
        license_id INTEGER NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
        valid_until INTEGER NOT NULL,
        noticed_at INTEGER NOT NULL,
        PRIMARY KEY (license_id, valid_until)
    )""",
    # seat.limit_reached: once per license and interval, however many check-ins are refused.
    """CREATE TABLE webhook_seat_limits (
        license_id INTEGER PRIMARY KEY REFERENCES licenses(id) ON DELETE CASCADE,
        told_at INTEGER NOT NULL
    )""",
)
