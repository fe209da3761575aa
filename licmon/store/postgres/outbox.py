"""The webhook outbox on PostgreSQL: events written by the store functions that make the
change they tell of, inside that change's transaction (see the SQLite twin). Which event a
change makes: ``licmon.store.outbox_events`` (this module is its ``OutboxSql``)."""

import json
import secrets
from typing import Any

import psycopg

from licmon.domain import webhooks

Conn = psycopg.Connection[Any]
SUBSCRIBERS = """
SELECT s.endpoint_id FROM webhook_subscriptions s
JOIN webhook_endpoints e ON e.id = s.endpoint_id
WHERE s.event_type = %s AND e.enabled"""
INSERT_EVENT = """
INSERT INTO webhook_events (message_id, event_type, payload, created_at)
VALUES (%s, %s, %s, %s) RETURNING id"""
INSERT_DELIVERY = """
INSERT INTO webhook_deliveries (event_id, endpoint_id, created_at, next_attempt_at)
VALUES (%s, %s, %s, %s)"""
SEAT_LIMIT_RECORD = """
INSERT INTO webhook_seat_limits (license_id, told_at) VALUES (%s, %s)
ON CONFLICT (license_id) DO UPDATE SET told_at = excluded.told_at"""


def emit(conn: Conn, event_type: str, data: dict[str, Any], now: int) -> bool:
    """Queue ``event_type`` for every enabled endpoint subscribed to it; False: none is."""
    endpoints = [row[0] for row in conn.execute(SUBSCRIBERS, (event_type,)).fetchall()]
    if not endpoints:
        return False
    body = json.dumps(webhooks.envelope(event_type, now, data), separators=(",", ":"))
    message_id = "msg_" + secrets.token_hex(16)
    row = conn.execute(INSERT_EVENT, (message_id, event_type, body, now)).fetchone()
    assert row is not None
    with conn.cursor() as cursor:
        cursor.executemany(INSERT_DELIVERY, [(row[0], e, now, now) for e in endpoints])
    return True


def seat_limit_told_at(conn: Conn, license_id: int) -> int | None:
    row = conn.execute(
        "SELECT told_at FROM webhook_seat_limits WHERE license_id = %s", (license_id,)
    ).fetchone()
    return None if row is None else int(row[0])


def record_seat_limit(conn: Conn, license_id: int, now: int) -> None:
    conn.execute(SEAT_LIMIT_RECORD, (license_id, now))
