"""The webhook outbox in SQLite: events written by the store functions that make the change
they tell of, inside that change's transaction (the writer's savepoint), so that none is
lost and none is invented. An event no endpoint subscribes to is not written at all.
Which event a change makes: ``licmon.store.outbox_events`` (this module is its ``OutboxSql``)."""

import json
import secrets
import sqlite3
from typing import Any

from licmon.domain import webhooks

SUBSCRIBERS = """
SELECT s.endpoint_id FROM webhook_subscriptions s
JOIN webhook_endpoints e ON e.id = s.endpoint_id
WHERE s.event_type = ? AND e.enabled = 1"""
INSERT_EVENT = """
INSERT INTO webhook_events (message_id, event_type, payload, created_at) VALUES (?, ?, ?, ?)"""
INSERT_DELIVERY = """
INSERT INTO webhook_deliveries (event_id, endpoint_id, created_at, next_attempt_at)
VALUES (?, ?, ?, ?)"""
SEAT_LIMIT_RECORD = """
INSERT INTO webhook_seat_limits (license_id, told_at) VALUES (?, ?)
ON CONFLICT (license_id) DO UPDATE SET told_at = excluded.told_at"""


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(16)


def emit(conn: sqlite3.Connection, event_type: str, data: dict[str, Any], now: int) -> bool:
    """Queue ``event_type`` for every enabled endpoint subscribed to it; False: none is."""
    endpoints = [row[0] for row in conn.execute(SUBSCRIBERS, (event_type,))]
    if not endpoints:
        return False
    body = json.dumps(webhooks.envelope(event_type, now, data), separators=(",", ":"))
    cursor = conn.execute(INSERT_EVENT, (new_message_id(), event_type, body, now))
    conn.executemany(
        INSERT_DELIVERY, [(cursor.lastrowid, endpoint, now, now) for endpoint in endpoints]
    )
    return True


def seat_limit_told_at(conn: sqlite3.Connection, license_id: int) -> int | None:
    row = conn.execute(
        "SELECT told_at FROM webhook_seat_limits WHERE license_id = ?", (license_id,)
    ).fetchone()
    return None if row is None else int(row[0])


def record_seat_limit(conn: sqlite3.Connection, license_id: int, now: int) -> None:
    conn.execute(SEAT_LIMIT_RECORD, (license_id, now))
