"""Endpoints and deliveries as the API, the CLI and the console show them (no secret)."""

from typing import Any

from licmon.domain.webhooks import WebhookDelivery, WebhookEndpoint, iso


def endpoint_view(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "enabled": endpoint.enabled,
        "created_at": iso(endpoint.created_at),
        "pending": endpoint.pending,
        "failed": endpoint.failed,
    }


def delivery_view(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "webhook": delivery.endpoint_id,
        "webhook_id": delivery.message_id,
        "event": delivery.event_type,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "created_at": iso(delivery.created_at),
        "next_attempt_at": _when(delivery.next_attempt_at),
        "last_attempt_at": _when(delivery.last_attempt_at),
        "last_result": delivery.last_result,
    }


def _when(at: int | None) -> str | None:
    return None if at is None else iso(at)
