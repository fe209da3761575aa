"""The detectors beside the check-in path: throttle before the key is looked at, observe
after the store answered, write flags only when one is drafted."""

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from licmon.catalog import KeyIndex
from licmon.domain import license_keys
from licmon.domain.access import ReadContext, Role
from licmon.domain.detectors import DetectorSet, FlagDraft
from licmon.domain.detectors.ingest import checkin_event, history_event, invalid_key_event
from licmon.domain.detectors.known import KnownPlaces
from licmon.domain.detectors.netkeys import host_key, network_key
from licmon.domain.detectors.shared import (
    SharedObservation,
    encode_event,
    encode_throttled,
    shareable,
)
from licmon.domain.flags import FlagRaise, evidence_deadline
from licmon.domain.models import CheckinRequest, GeoInfo, License, SeatResult
from licmon.domain.network import IPAddress, parse_ip
from licmon.domain.purposes import ABUSE, PURPOSES
from licmon.errors import Throttled
from licmon.geo import Geo, NoGeo
from licmon.metrics import Metrics
from licmon.store.base import Store

if TYPE_CHECKING:
    from licmon.abuse.sharing import DetectorShare

log = logging.getLogger(__name__)
REBUILD_CONTEXT = ReadContext(
    actor="system:detectors",
    role=Role.SYSTEM,
    purpose=ABUSE,
    justification="rebuild detector windows at start-up",
)
REBUILD_ROWS = 200_000


class AbuseMonitor:
    def __init__(
        self,
        detectors: DetectorSet,
        store: Store,
        metrics: Metrics,
        locates: Callable[[], bool] = lambda: False,
        geo: Geo | None = None,
    ) -> None:
        self.detectors = detectors
        self.store = store
        self.metrics = metrics
        self.locates = locates
        self.geo: Geo = geo if geo is not None else NoGeo()
        self.places = KnownPlaces()
        self.share: DetectorShare | None = None  # several nodes: see licmon.abuse.sharing
        self.host_of: Callable[[IPAddress], int] = host_key
        self.index: KeyIndex | None = None

    @property
    def leads(self) -> bool:
        """This node raises the flags it drafts (always, unless another node leads)."""
        return self.share is None or self.share.leads

    def throttle(self, address: IPAddress, machine: str, now: int) -> None:
        """Raise Throttled (429) while this address, its network or its ASN is guessing keys,
        whatever machine the caller names."""
        guessing = self.detectors.guessing
        asn = self.geo.lookup(address).asn if guessing.asn_blocking(now) else None
        host = self.host_of(address)
        retry = self.detectors.retry_after(host, network_key(address), machine, now, asn)
        if retry is not None:
            self.metrics.throttled()
            if self.share is not None:
                self.share.publish(now, encode_throttled(host, now))
            raise Throttled(retry)

    async def invalid_key(
        self, address: IPAddress, machine: str, now: int, key: str | None = None
    ) -> None:
        well_formed = key is None or license_keys.is_well_formed(key)
        asn = self.geo.lookup(address).asn
        event = invalid_key_event(address, machine, now, asn, well_formed, self.host_of(address))
        if self.share is not None:
            self.share.publish(now, encode_event(event))
        drafts = self.detectors.observe(event, now)
        if drafts and self.leads:
            await self._raise(drafts, None)

    async def refresh_places(self) -> None:
        """Read the organizations' declared networks again (a few rows)."""
        self.places = KnownPlaces(await self.store.list_places())

    def checked_in(
        self,
        lic: License,
        req: CheckinRequest,
        address: IPAddress,
        geo: GeoInfo,
        result: SeatResult,
        now: int,
    ) -> list[FlagDraft]:
        """The detectors see one committed check-in; the flags to raise, rarely any."""
        place = self.places.kind_of(lic.org.id, address)
        event = checkin_event(
            lic,
            req,
            address,
            geo,
            result.outcome,
            result.reason,
            now,
            self.locates(),
            place,
            overage=result.overage,
            chain_forked=result.forked,
        )
        if self.share is not None:
            self.share.publish(now, encode_event(shareable(event, lic.org.ip_precision)))
        drafts = self.detectors.observe(event, now)
        return drafts if self.leads else []

    async def exchange(self, now: int) -> int:
        """Publish this node's events, feed the other nodes' to the detectors; the leader
        raises what they draft. Returns the number of observations fed."""
        if self.share is None:
            return 0
        observations = await self.share.exchange(now)
        for count, observation in enumerate(observations, 1):
            await self._feed(observation)
            if count % 256 == 0:
                await asyncio.sleep(0)  # a long batch leaves room for check-ins
        return len(observations)

    async def _feed(self, observation: SharedObservation) -> None:
        event = observation.event
        if event is None:
            if observation.throttled_host is not None:
                self.detectors.guessing.count_refused(observation.throttled_host)
            return
        drafts = self.detectors.observe(event, event.at)
        if drafts and self.leads:
            lic = None
            if event.license_id is not None and self.index is not None:
                lic = self.index.by_id(event.license_id)
            await self._raise(drafts, lic)

    async def raise_flags(self, drafts: Sequence[FlagDraft], lic: License | None) -> None:
        await self._raise(drafts, lic)

    async def rebuild(self, index: KeyIndex, now: int) -> int:
        """Refill the windows from the connection log (one audited gateway read) and the
        re-raise guard from the active flags: a restart keeps what was learned."""
        t = self.detectors.thresholds
        rows = await self.store.detector_history(
            REBUILD_CONTEXT, now - t.longest_window, REBUILD_ROWS
        )
        located = self.locates()
        await self.refresh_places()
        events = (
            history_event(row, lic, located, self._place_of(lic, row))
            for row in rows
            if (lic := index.by_id(int(row["license_id"]))) is not None
        )
        replayed = await asyncio.to_thread(self.detectors.replay, events)  # off the loop
        for kind, license_id, last_seen in await self.store.active_flags_since(
            now - t.flag_refire_seconds
        ):
            self.detectors.remember_raised(kind, license_id, "", last_seen)
        return replayed

    def _place_of(self, lic: License, row: dict[str, object]) -> str | None:
        address = parse_ip(str(row.get("address") or "").split("/", 1)[0])
        return self.places.kind_of(lic.org.id, address) if address is not None else None

    async def refresh_open_flags(self) -> None:
        by_kind, by_severity = await self.store.open_flag_counts()
        self.metrics.set_open_flags(by_kind, by_severity)

    async def _raise(self, drafts: Sequence[FlagDraft], lic: License | None) -> None:
        days = lic.org.retention_days if lic else PURPOSES[ABUSE].max_retention_days
        raises = [FlagRaise(d, evidence_deadline(d.at, days)) for d in drafts]
        try:
            await self.store.raise_flags(raises)
        except Exception:
            # The check-in is committed and answered all the same; the pattern, if it
            # persists, is drafted again after flag_refire_seconds.
            log.exception("abuse flags could not be written", extra={"flags": len(raises)})
            return
        for draft in drafts:
            self.metrics.flag_raised(draft.kind.value, draft.severity.value)
