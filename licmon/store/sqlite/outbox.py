"""The webhook outbox: events written by the store functions that make the change they tell
of, inside that change's transaction (the writer's savepoint), so that none is lost and
none is invented. An event no endpoint subscribes to is not written at all."""

import json
import secrets
import sqlite3
from typing import Any

from licmon.domain import webhooks
from licmon.domain.models import License

SUBSCRIBERS = """
SELECT s.endpoint_id FROM webhook_subscriptions s
JOIN webhook_endpoints e ON e.id = s.endpoint_id
WHERE s.event_type = ? AND e.enabled = 1"""
INSERT_EVENT = """
INSERT INTO webhook_events (message_id, event_type, payload, created_at) VALUES (?, ?, ?, ?)"""
INSERT_DELIVERY = """
INSERT INTO webhook_deliveries (event_id, endpoint_id, created_at, next_attempt_at)
VALUES (?, ?, ?, ?)"""
SEAT_LIMIT_TOLD = "SELECT told_at FROM webhook_seat_limits WHERE license_id = ?"
SEAT_LIMIT_RECORD = """
INSERT INTO webhook_seat_limits (license_id, told_at) VALUES (?, ?)
ON CONFLICT (license_id) DO UPDATE SET told_at = excluded.told_at"""
SEAT_LIMIT_QUIET_SECONDS = 3600  # one seat.limit_reached per license per hour at most


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


def license_status_changed(
    conn: sqlite3.Connection, before: License, after: License, now: int
) -> None:
    change = webhooks.status_changed(before, after)
    if change is not None:
        emit(conn, change[0], change[1], now)


def license_updated(conn: sqlite3.Connection, before: License, after: License, now: int) -> None:
    data = webhooks.license_updated(before, after)
    if data is not None:
        emit(conn, webhooks.LICENSE_UPDATED, data, now)


def machine_deactivated(
    conn: sqlite3.Connection, lic: License, machine_id: int, seat_freed: bool, now: int
) -> None:
    data = webhooks.machine_deactivated(lic, machine_id, seat_freed)
    emit(conn, webhooks.MACHINE_DEACTIVATED, data, now)


def seat_limit_reached(conn: sqlite3.Connection, lic: License, seats_in_use: int, now: int) -> None:
    """A refused check-in (seats exhausted): told once per license per quiet interval, so
    a storm of refusals is one event. Costs one primary-key lookup when recently told."""
    told = conn.execute(SEAT_LIMIT_TOLD, (lic.id,)).fetchone()
    if told is not None and now - told[0] < SEAT_LIMIT_QUIET_SECONDS:
        return
    data = webhooks.seat_limit_reached(lic, seats_in_use, now)
    if emit(conn, webhooks.SEAT_LIMIT_REACHED, data, now):
        conn.execute(SEAT_LIMIT_RECORD, (lic.id, now))
