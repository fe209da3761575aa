"""The Store's webhook methods, in the domain's words (part of ``Store``).

Events are not written here: the store methods that make a change (license added or
changed, flag raised or decided, a check-in refused for seats, a machine deactivated)
write its event in their own transaction. These methods manage endpoints and carry the
deliveries through their attempts.
"""

import abc
from collections.abc import Sequence

from licmon.domain.webhooks import (
    Attempt,
    DeliveryStatus,
    DueDelivery,
    WebhookDelivery,
    WebhookEndpoint,
)


class WebhookStore(abc.ABC):
    @abc.abstractmethod
    async def add_webhook(
        self, url: str, events: Sequence[str], sealed_secret: bytes, *, actor: str
    ) -> WebhookEndpoint:
        """A new enabled endpoint subscribed to ``events`` (checked by the caller); audited."""

    @abc.abstractmethod
    async def list_webhooks(self) -> list[WebhookEndpoint]: ...

    @abc.abstractmethod
    async def get_webhook(self, endpoint_id: int) -> WebhookEndpoint: ...

    @abc.abstractmethod
    async def set_webhook_enabled(
        self, endpoint_id: int, enabled: bool, *, actor: str
    ) -> WebhookEndpoint:
        """A disabled endpoint gets no new events; its pending deliveries wait (audited)."""

    @abc.abstractmethod
    async def delete_webhook(self, endpoint_id: int, *, actor: str) -> None:
        """The endpoint and its deliveries go (audited)."""

    @abc.abstractmethod
    async def list_webhook_deliveries(
        self,
        endpoint_id: int | None = None,
        status: DeliveryStatus | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> list[WebhookDelivery]:
        """Newest first; ``before``: ids below it only (the next page)."""

    @abc.abstractmethod
    async def redeliver_webhook(
        self, endpoint_id: int, delivery_id: int, *, actor: str
    ) -> WebhookDelivery:
        """Send a delivery of the endpoint again (same webhook-id), from a fresh schedule;
        audited. NotFound when the endpoint has no such delivery."""

    @abc.abstractmethod
    async def due_webhook_deliveries(
        self, now: int, limit: int, per_endpoint: int = 1000
    ) -> list[DueDelivery]:
        """Pending deliveries of enabled endpoints whose next attempt is due, oldest first,
        at most ``per_endpoint`` of each endpoint."""

    @abc.abstractmethod
    async def record_webhook_attempt(
        self, delivery_id: int, attempt: Attempt, retry_at: int | None
    ) -> DeliveryStatus:
        """Count an attempt: delivered, pending until ``retry_at``, or failed (given up)."""

    @abc.abstractmethod
    async def emit_license_expiring(self, now: int, days: int) -> int:
        """license.expiring for licenses ending within ``days``, once per license and end."""

    @abc.abstractmethod
    async def prune_webhook_history(self, before: int) -> int:
        """Forget delivered deliveries (and their events) created before ``before``."""

    @abc.abstractmethod
    async def webhook_delivery_counts(self) -> dict[str, int]:
        """Deliveries by status (pending, delivered, failed)."""
