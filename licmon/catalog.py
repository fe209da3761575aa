"""The in-memory license index: key hash -> license, rebuilt from the store.

A running server polls the store's catalog version and reloads when the CLI, the console or
another node changed an organization, product or license.
"""

import asyncio
import contextlib
import logging

from licmon.domain.license_keys import key_hash
from licmon.domain.models import License
from licmon.periodic import Episode
from licmon.store.base import Store

log = logging.getLogger(__name__)


class KeyIndex:
    def __init__(self, pepper: bytes) -> None:
        self._pepper = pepper
        self._by_hash: dict[bytes, License] = {}
        self._by_id: dict[int, License] = {}
        self.version = -1

    def find(self, key: str) -> License | None:
        return self._by_hash.get(key_hash(self._pepper, key))

    def by_id(self, license_id: int) -> License | None:
        return self._by_id.get(license_id)

    def licenses(self) -> list[License]:
        return list(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_hash)

    async def refresh(self, store: Store, *, force: bool = False) -> bool:
        """Reload when the store's catalog changed; True when it did."""
        if not force and await store.catalog_version() == self.version:
            return False
        snapshot = await store.load_catalog()
        self._by_hash = dict(snapshot.licenses)
        self._by_id = {lic.id: lic for lic in self._by_hash.values()}
        self.version = snapshot.version
        return True

    async def follow(self, store: Store, every: float) -> None:
        """Follow changes until cancelled: at least every ``every`` seconds, and at once when
        the store hears of one (another node's change); a failed poll is logged, retried."""
        episode = Episode(
            log, "license catalog reload failed; retrying", "license catalog read again"
        )
        while True:
            try:
                await store.catalog_changed(every)
                if await self.refresh(store):
                    log.info("license catalog reloaded", extra={"licenses": len(self)})
            except Exception as exc:
                episode.failed(exc)
                await asyncio.sleep(every)
            else:
                episode.succeeded()


async def stop_task(task: "asyncio.Task[None]") -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
