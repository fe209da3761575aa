"""Webhook endpoints and deliveries as SQL: added, listed, disabled, deleted (audited);
due deliveries for the worker, each attempt's result, manual redelivery, pruning."""

import sqlite3
from collections.abc import Sequence
from typing import Any

from licmon.domain import webhooks
from licmon.domain.audit import AuditEntry
from licmon.domain.purposes import DAY
from licmon.domain.webhooks import (
    Attempt,
    DeliveryStatus,
    DueDelivery,
    WebhookDelivery,
    WebhookEndpoint,
)
from licmon.errors import NotFound
from licmon.store.sqlite import audit_sql, catalog, outbox
from licmon.store.sqlite.sqlrows import dicts
from licmon.store.webhook_rows import (
    counted,
    deliveries_filter,
    delivery_of,
    due_of,
    endpoint_of,
    status_after,
)

ENDPOINTS = """
SELECT e.id, e.url, e.enabled, e.created_at,
    (SELECT group_concat(s.event_type) FROM webhook_subscriptions s
     WHERE s.endpoint_id = e.id) AS events,
    (SELECT count(*) FROM webhook_deliveries d
     WHERE d.endpoint_id = e.id AND d.status = 'pending') AS pending,
    (SELECT count(*) FROM webhook_deliveries d
     WHERE d.endpoint_id = e.id AND d.status = 'failed') AS failed
FROM webhook_endpoints e"""
DELIVERIES = """
SELECT d.id, d.endpoint_id, v.message_id, v.event_type, d.status, d.attempts, d.created_at,
    d.next_attempt_at, d.last_attempt_at, d.last_result
FROM webhook_deliveries d JOIN webhook_events v ON v.id = d.event_id"""
# The oldest due deliveries, at most ``per_endpoint`` of each endpoint: one receiver's
# backlog never hides the others'.
DUE = """
SELECT d.id, d.endpoint_id, e.url, e.sealed_secret, v.message_id, v.event_type, v.payload,
    d.attempts
FROM (SELECT id, endpoint_id, event_id, attempts, next_attempt_at, row_number() OVER (
        PARTITION BY endpoint_id ORDER BY next_attempt_at, id) AS place
      FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?) d
JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled = 1
JOIN webhook_events v ON v.id = d.event_id
WHERE d.place <= ?
ORDER BY d.next_attempt_at, d.id LIMIT ?"""
EXPIRING = """
SELECT l.id FROM licenses l
WHERE l.status = 'active' AND l.valid_until > ? AND l.valid_until <= ?
AND NOT EXISTS (SELECT 1 FROM webhook_expiry_notices n
                WHERE n.license_id = l.id AND n.valid_until = l.valid_until)
ORDER BY l.id"""


def add_endpoint(
    conn: sqlite3.Connection,
    url: str,
    events: Sequence[str],
    sealed_secret: bytes,
    actor: str,
    now: int,
) -> WebhookEndpoint:
    cursor = conn.execute(
        "INSERT INTO webhook_endpoints (url, sealed_secret, created_at) VALUES (?, ?, ?)",
        (url, sealed_secret, now),
    )
    endpoint_id = int(cursor.lastrowid or 0)
    conn.executemany(
        "INSERT INTO webhook_subscriptions (endpoint_id, event_type) VALUES (?, ?)",
        [(endpoint_id, event) for event in events],
    )
    _audit(conn, now, actor, "webhook.add", endpoint_id, {"events": list(events)})
    return endpoint_by_id(conn, endpoint_id)


def endpoint_by_id(conn: sqlite3.Connection, endpoint_id: int) -> WebhookEndpoint:
    rows = dicts(conn.execute(ENDPOINTS + " WHERE e.id = ?", (endpoint_id,)))
    if not rows:
        raise NotFound(f"No webhook {endpoint_id}.")
    return endpoint_of(rows[0])


def list_endpoints(conn: sqlite3.Connection) -> list[WebhookEndpoint]:
    return [endpoint_of(row) for row in dicts(conn.execute(ENDPOINTS + " ORDER BY e.id"))]


def set_enabled(
    conn: sqlite3.Connection, endpoint_id: int, enabled: bool, actor: str, now: int
) -> WebhookEndpoint:
    endpoint_by_id(conn, endpoint_id)
    conn.execute(
        "UPDATE webhook_endpoints SET enabled = ? WHERE id = ?", (int(enabled), endpoint_id)
    )
    action = "webhook.enable" if enabled else "webhook.disable"
    _audit(conn, now, actor, action, endpoint_id, {})
    return endpoint_by_id(conn, endpoint_id)


def delete_endpoint(conn: sqlite3.Connection, endpoint_id: int, actor: str, now: int) -> None:
    endpoint_by_id(conn, endpoint_id)
    conn.execute("DELETE FROM webhook_endpoints WHERE id = ?", (endpoint_id,))
    _audit(conn, now, actor, "webhook.delete", endpoint_id, {})


def list_deliveries(
    conn: sqlite3.Connection,
    endpoint_id: int | None,
    status: DeliveryStatus | None,
    before: int | None,
    limit: int,
) -> list[WebhookDelivery]:
    """Newest first; ``before``: only deliveries with a smaller id (the next page)."""
    if endpoint_id is not None:
        endpoint_by_id(conn, endpoint_id)
    given = deliveries_filter(endpoint_id, status, before)
    where = " AND ".join(condition.format("?") for condition, _ in given) or "1"
    sql = f"{DELIVERIES} WHERE {where} ORDER BY d.id DESC LIMIT ?"
    values = [value for _, value in given]
    return [delivery_of(row) for row in dicts(conn.execute(sql, [*values, limit]))]


def delivery_by_id(conn: sqlite3.Connection, delivery_id: int) -> WebhookDelivery:
    rows = dicts(conn.execute(DELIVERIES + " WHERE d.id = ?", (delivery_id,)))
    if not rows:
        raise NotFound(f"No webhook delivery {delivery_id}.")
    return delivery_of(rows[0])


def due(conn: sqlite3.Connection, now: int, limit: int, per_endpoint: int) -> list[DueDelivery]:
    return [due_of(row) for row in dicts(conn.execute(DUE, (now, per_endpoint, limit)))]


def record_attempt(
    conn: sqlite3.Connection, delivery_id: int, attempt: Attempt, retry_at: int | None, now: int
) -> DeliveryStatus:
    """Count one attempt; ``retry_at`` None after a failure: give up (status failed)."""
    status = status_after(attempt.delivered, retry_at)
    conn.execute(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, status = ?, last_attempt_at = ?, "
        "next_attempt_at = ?, last_result = ? WHERE id = ? AND status = 'pending'",
        (
            status.value,
            now,
            retry_at if status is DeliveryStatus.PENDING else None,
            attempt.result[:200],
            delivery_id,
        ),
    )
    return status


def redeliver(
    conn: sqlite3.Connection, endpoint_id: int, delivery_id: int, actor: str, now: int
) -> WebhookDelivery:
    """Send again from the first attempt's schedule, with the same webhook-id."""
    delivery = delivery_by_id(conn, delivery_id)
    if delivery.endpoint_id != endpoint_id:
        raise NotFound(f"Webhook {endpoint_id} has no delivery {delivery_id}.")
    conn.execute(
        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ? "
        "WHERE id = ?",
        (now, delivery_id),
    )
    _audit(conn, now, actor, "webhook.redeliver", delivery.endpoint_id, {"delivery": delivery_id})
    return delivery_by_id(conn, delivery_id)


def emit_expiring(conn: sqlite3.Connection, now: int, days: int) -> int:
    """license.expiring for each active license whose end is within ``days``, once per
    license and end date; how many were told."""
    ids = [row[0] for row in conn.execute(EXPIRING, (now, now + days * DAY))]
    for license_id in ids:
        lic = catalog.license_by_id(conn, license_id)
        conn.execute(
            "INSERT INTO webhook_expiry_notices (license_id, valid_until, noticed_at) "
            "VALUES (?, ?, ?)",
            (license_id, lic.terms.valid_until, now),
        )
        outbox.emit(conn, webhooks.LICENSE_EXPIRING, webhooks.license_expiring(lic, now), now)
    return len(ids)


def prune(conn: sqlite3.Connection, before: int) -> int:
    """Forget delivered deliveries older than ``before`` and events left without any."""
    removed = conn.execute(
        "DELETE FROM webhook_deliveries WHERE status = 'delivered' AND created_at < ?",
        (before,),
    ).rowcount
    conn.execute(
        "DELETE FROM webhook_events WHERE created_at < ? AND NOT EXISTS "
        "(SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id)",
        (before,),
    )
    return int(removed)


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    rows = conn.execute("SELECT status, count(*) FROM webhook_deliveries GROUP BY status")
    return counted(dict(rows.fetchall()))


def _audit(
    conn: sqlite3.Connection,
    now: int,
    actor: str,
    action: str,
    endpoint_id: int,
    details: dict[str, Any],
) -> None:
    """Audited by id: the URL may name a customer's host, so it stays out of the log."""
    entry = AuditEntry(now, actor, action, f"webhook:{endpoint_id}", "ok", details)
    audit_sql.append(conn, entry)
