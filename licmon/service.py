"""The check-in data flow: find the license, locate the address, commit, sign.

This is the heart of licmon; keep it short. Rules live in ``domain``, storage in ``store``.
"""

import functools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client import Counter

from licmon.catalog import KeyIndex
from licmon.domain.checkin import checkin_command, lease_claims
from licmon.domain.models import (
    CheckinOutcome,
    CheckinRequest,
    DenyReason,
    License,
    Outcome,
    ReleaseRequest,
)
from licmon.domain.network import IPAddress
from licmon.geo import Geo
from licmon.metrics import UNKNOWN_PRODUCT, Metrics
from licmon.precision_context import REQUEST_PRECISION
from licmon.signing import BatchSigner
from licmon.store.base import Store

if TYPE_CHECKING:
    from licmon.abuse.monitor import AbuseMonitor


@dataclass
class CheckinService:
    store: Store
    index: KeyIndex
    geo: Geo
    signer: BatchSigner
    metrics: Metrics
    issuer: str
    clock: Callable[[], float] = time.time
    abuse: "AbuseMonitor | None" = None  # detectors (licmon.abuse), attached at start-up

    async def checkin(self, req: CheckinRequest, address: IPAddress) -> CheckinOutcome:
        started = time.perf_counter()
        self._throttle(address, req.machine)
        outcome = await self._checkin(req, address)
        product = outcome.license.product if outcome.license else UNKNOWN_PRODUCT
        _child(self.metrics.checkins, product, outcome.outcome.value).inc()
        if outcome.reason is not None:
            _child(self.metrics.denials, product, outcome.reason.value).inc()
        self.metrics.checkin_duration.observe(time.perf_counter() - started)
        return outcome

    async def _checkin(self, req: CheckinRequest, address: IPAddress) -> CheckinOutcome:
        lic = self._find(req.key)
        if lic is None:
            await self._invalid_key(address, req.machine, req.key)
            return CheckinOutcome(Outcome.INVALID_KEY)
        now = int(self.clock())
        geo = self.geo.lookup(address)
        lease_id = secrets.token_urlsafe(16)
        result = await self.store.checkin(checkin_command(lic, req, address, geo, now, lease_id))
        if (
            self.abuse is not None
            and not result.restricted  # a restricted subject leaves the detectors
            and (drafts := self.abuse.checked_in(lic, req, address, geo, result, now))
        ):
            await self.abuse.raise_flags(drafts, lic)
        if result.outcome is Outcome.DENIED:
            return CheckinOutcome(Outcome.DENIED, lic, result.reason, result.seats_in_use)
        claims = lease_claims(
            self.issuer, lic, req, now, result.seats_in_use, lease_id, overage=result.overage
        )
        return CheckinOutcome(
            result.outcome,
            lic,
            seats_in_use=result.seats_in_use,
            lease=await self.signer.sign(claims),
            expires_at=claims["exp"],
            grace_until=claims["grace_until"],
        )

    async def release(
        self, req: ReleaseRequest, address: IPAddress | None = None
    ) -> CheckinOutcome:
        if address is not None:
            self._throttle(address, req.machine)
        lic = self._find(req.key)
        if lic is None:
            await self._invalid_key(address, req.machine, req.key)
            outcome = CheckinOutcome(Outcome.INVALID_KEY)
        elif lic.product != req.product:
            outcome = CheckinOutcome(Outcome.DENIED, lic, DenyReason.PRODUCT_MISMATCH)
        else:
            await self.store.release(lic.id, req.machine, req.process)
            outcome = CheckinOutcome(Outcome.RELEASED, lic)
        self.metrics.releases.labels(outcome.outcome.value).inc()
        return outcome

    def _find(self, key: str) -> License | None:
        """The key's license; the request's log line then keeps its organization's precision."""
        lic = self.index.find(key)
        if lic is not None:
            REQUEST_PRECISION.set(lic.org.ip_precision)
        return lic

    def _throttle(self, address: IPAddress, machine: str) -> None:
        """Key guessing: a throttled caller's key is not even looked at (429)."""
        if self.abuse is not None:
            self.abuse.throttle(address, machine, int(self.clock()))

    async def _invalid_key(self, address: IPAddress | None, machine: str, key: str) -> None:
        # Answer no sooner than a known key would: after the writer's next commit.
        await self.store.check_writable()
        self.metrics.invalid_keys.inc()
        if self.abuse is not None and address is not None:
            await self.abuse.invalid_key(address, machine, int(self.clock()), key)


@functools.lru_cache(maxsize=1024)
def _child(metric: Counter, product: str, word: str) -> Counter:
    """The labelled counter, looked up once per (metric, product, word): labels are few."""
    return metric.labels(product, word)
