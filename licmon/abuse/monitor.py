"""The detectors beside the check-in path: throttle before the key is looked at, observe
after the store answered, write flags only when one is drafted."""

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from licmon.catalog import KeyIndex
from licmon.domain import license_keys
from licmon.domain.access import ReadContext, Role
from licmon.domain.detectors import DetectorSet, FlagDraft
from licmon.domain.detectors.events import CheckinEvent
from licmon.domain.detectors.ingest import checkin_event, history_event, invalid_key_event
from licmon.domain.detectors.known import KnownPlaces
from licmon.domain.detectors.netkeys import host_key, network_key
from licmon.domain.detectors.shared import SharedObservation
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
HELD_EVENTS = 100_000  # live events kept while the windows are replayed; beyond, the oldest go


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
        self._saved_until: int | None = None  # learned facts up to here are in the store
        self.share: DetectorShare | None = None  # several nodes: see licmon.abuse.sharing
        self.host_of: Callable[[IPAddress], int] = host_key
        self.index: KeyIndex | None = None
        # While the windows are replayed on a thread, live events wait here (in order), so
        # the replay and the live traffic never touch the detectors at the same time.
        self._held: deque[tuple[CheckinEvent, int, License | None]] | None = None

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
                self.share.publish_throttled(host, now)
            raise Throttled(retry)

    async def invalid_key(
        self, address: IPAddress, machine: str, now: int, key: str | None = None
    ) -> None:
        well_formed = key is None or license_keys.is_well_formed(key)
        asn = self.geo.lookup(address).asn
        event = invalid_key_event(address, machine, now, asn, well_formed, self.host_of(address))
        if self.share is not None:
            self.share.publish_event(event, None)
        if self._held is not None:
            self._held.append((event, now, None))
            return
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
            self.share.publish_event(event, lic.org.ip_precision)
        if self._held is not None:
            self._held.append((event, now, lic))
            return []
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
        self.metrics.detector_observations.inc(len(observations))
        return len(observations)

    async def _feed(self, observation: SharedObservation) -> None:
        event = observation.event
        if event is None:
            if observation.throttled_host is not None:
                self.detectors.guessing.count_refused(observation.throttled_host)
            return
        lic = None
        if event.license_id is not None and self.index is not None:
            lic = self.index.by_id(event.license_id)
        if self._held is not None:  # the windows are being replayed: observed afterwards
            self._held.append((event, event.at, lic))
            return
        drafts = self.detectors.observe(event, event.at)
        if drafts and self.leads:
            await self._raise(drafts, lic)

    async def raise_flags(self, drafts: Sequence[FlagDraft], lic: License | None) -> None:
        await self._raise(drafts, lic)

    async def rebuild(self, index: KeyIndex, now: int, keep_seconds: int = 7 * 86400) -> int:
        """Take back the facts learned before the restart (clock offsets, first countries,
        stable places), refill the windows from the connection log (one audited gateway
        read) and the re-raise guard from the active flags: a restart keeps what was
        learned. Live events that arrive meanwhile are held, then observed in order."""
        self._held = deque(maxlen=HELD_EVENTS)
        try:
            replayed = await self._replay(index, now, keep_seconds)
        except asyncio.CancelledError:  # shutting down: nothing to observe any more
            self._held = None
            raise
        except Exception:
            await self._observe_held()
            raise
        await self._observe_held()
        return replayed

    async def _observe_held(self) -> None:
        held, self._held = self._held or deque(), None
        for event, now, lic in held:
            drafts = self.detectors.observe(event, now)
            if drafts and self.leads:
                await self._raise(drafts, lic)

    async def _replay(self, index: KeyIndex, now: int, keep_seconds: int) -> int:
        t = self.detectors.thresholds
        rows = await self.store.detector_history(
            REBUILD_CONTEXT, now - t.longest_window, REBUILD_ROWS
        )
        located = self.locates()
        await self.refresh_places()
        learned = await self.store.load_learned(now - keep_seconds)
        self.detectors.learn(learned)
        self._saved_until = now
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

    def start_saving(self, now: int) -> None:
        """Save from here on even though nothing was read back (the rebuild failed)."""
        if self._saved_until is None:
            self._saved_until = now

    async def save_learned(self, now: int, keep_seconds: int) -> int:
        """Save the facts learned since the last save (all of them before a rebuild ran:
        never, since a rebuild not yet done would overwrite the stored ones with less)."""
        if self._saved_until is None:
            return 0
        facts = self.detectors.learned(self._saved_until)
        saved = await self.store.save_learned(facts, now - keep_seconds)
        self._saved_until = now
        return saved

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
