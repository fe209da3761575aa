"""Webhook rows (as dicts keyed by column name) in the domain's words: shared by every
backend, whose SQL names the same columns."""

from collections.abc import Mapping
from typing import Any

from licmon.domain.webhooks import (
    EVENT_TYPES,
    DeliveryStatus,
    DueDelivery,
    WebhookDelivery,
    WebhookEndpoint,
)


def endpoint_of(row: Mapping[str, Any]) -> WebhookEndpoint:
    """``events``: the subscribed event types, comma-separated."""
    names = set((row["events"] or "").split(","))
    return WebhookEndpoint(
        id=row["id"],
        url=row["url"],
        events=tuple(name for name in EVENT_TYPES if name in names),
        enabled=bool(row["enabled"]),
        created_at=row["created_at"],
        pending=row["pending"],
        failed=row["failed"],
    )


def delivery_of(row: Mapping[str, Any]) -> WebhookDelivery:
    return WebhookDelivery(
        id=row["id"],
        endpoint_id=row["endpoint_id"],
        message_id=row["message_id"],
        event_type=row["event_type"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        created_at=row["created_at"],
        next_attempt_at=row["next_attempt_at"],
        last_attempt_at=row["last_attempt_at"],
        last_result=row["last_result"],
    )


def due_of(row: Mapping[str, Any]) -> DueDelivery:
    return DueDelivery(
        id=row["id"],
        endpoint_id=row["endpoint_id"],
        url=row["url"],
        sealed_secret=bytes(row["sealed_secret"]),
        message_id=row["message_id"],
        event_type=row["event_type"],
        payload=row["payload"],
        attempts=row["attempts"],
    )


def status_after(delivered: bool, retry_at: int | None) -> DeliveryStatus:
    """A delivery's status after an attempt: delivered, pending until retry_at, or failed."""
    if delivered:
        return DeliveryStatus.DELIVERED
    return DeliveryStatus.PENDING if retry_at is not None else DeliveryStatus.FAILED


def deliveries_filter(
    endpoint_id: int | None, status: DeliveryStatus | None, before: int | None
) -> list[tuple[str, Any]]:
    """The given filters of a deliveries listing: (condition with ``{}`` where the
    backend's placeholder goes, value)."""
    filters = (
        ("d.endpoint_id = {}", endpoint_id),
        ("d.status = {}", None if status is None else status.value),
        ("d.id < {}", before),
    )
    return [(condition, value) for condition, value in filters if value is not None]


def counted(found: Mapping[str, int]) -> dict[str, int]:
    return {status.value: int(found.get(status.value, 0)) for status in DeliveryStatus}
