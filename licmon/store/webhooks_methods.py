"""The webhook methods of a store, for every backend: each call runs its backend's SQL
function (``webhook_sql``, the backend's ``webhooks_sql`` module, whose functions have the
same names and parameters) through the backend's writer or readers."""

from collections.abc import Sequence
from functools import partial
from types import ModuleType
from typing import TypeVar

from licmon.domain.webhooks import (
    Attempt,
    DeliveryStatus,
    DueDelivery,
    WebhookDelivery,
    WebhookEndpoint,
)
from licmon.store.methods_base import BackendMethods
from licmon.store.webhooks_base import WebhookStore

T = TypeVar("T")


class WebhookMethods(BackendMethods, WebhookStore):
    webhook_sql: ModuleType

    async def add_webhook(
        self, url: str, events: Sequence[str], sealed_secret: bytes, *, actor: str
    ) -> WebhookEndpoint:
        return await self._write(
            partial(
                self.webhook_sql.add_endpoint,
                url=url,
                events=tuple(events),
                sealed_secret=sealed_secret,
                actor=actor,
                now=self._now(),
            )
        )

    async def list_webhooks(self) -> list[WebhookEndpoint]:
        return await self._read(self.webhook_sql.list_endpoints)

    async def get_webhook(self, endpoint_id: int) -> WebhookEndpoint:
        return await self._read(partial(self.webhook_sql.endpoint_by_id, endpoint_id=endpoint_id))

    async def set_webhook_enabled(
        self, endpoint_id: int, enabled: bool, *, actor: str
    ) -> WebhookEndpoint:
        return await self._write(
            partial(
                self.webhook_sql.set_enabled,
                endpoint_id=endpoint_id,
                enabled=enabled,
                actor=actor,
                now=self._now(),
            )
        )

    async def delete_webhook(self, endpoint_id: int, *, actor: str) -> None:
        await self._write(
            partial(
                self.webhook_sql.delete_endpoint,
                endpoint_id=endpoint_id,
                actor=actor,
                now=self._now(),
            )
        )

    async def list_webhook_deliveries(
        self,
        endpoint_id: int | None = None,
        status: DeliveryStatus | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> list[WebhookDelivery]:
        return await self._read(
            partial(
                self.webhook_sql.list_deliveries,
                endpoint_id=endpoint_id,
                status=status,
                before=before,
                limit=limit,
            )
        )

    async def redeliver_webhook(
        self, endpoint_id: int, delivery_id: int, *, actor: str
    ) -> WebhookDelivery:
        return await self._write(
            partial(
                self.webhook_sql.redeliver,
                endpoint_id=endpoint_id,
                delivery_id=delivery_id,
                actor=actor,
                now=self._now(),
            )
        )

    async def due_webhook_deliveries(
        self, now: int, limit: int, per_endpoint: int = 1000
    ) -> list[DueDelivery]:
        return await self._read(
            partial(self.webhook_sql.due, now=now, limit=limit, per_endpoint=per_endpoint)
        )

    async def record_webhook_attempt(
        self, delivery_id: int, attempt: Attempt, retry_at: int | None
    ) -> DeliveryStatus:
        return await self._write(
            partial(
                self.webhook_sql.record_attempt,
                delivery_id=delivery_id,
                attempt=attempt,
                retry_at=retry_at,
                now=self._now(),
            )
        )

    async def emit_license_expiring(self, now: int, days: int) -> int:
        return await self._write(partial(self.webhook_sql.emit_expiring, now=now, days=days))

    async def prune_webhook_history(self, before: int) -> int:
        return await self._write(partial(self.webhook_sql.prune, before=before), bulk=True)

    async def webhook_delivery_counts(self) -> dict[str, int]:
        return await self._read(self.webhook_sql.counts)
