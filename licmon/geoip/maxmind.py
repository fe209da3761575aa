"""``MaxMindGeo``: the ``Geo`` of licmon serve, with a bounded cache per /24 and /48.

Lookups run on the event loop against readers held in memory, cached per network: a /24
(or /48) that one record covers whole is looked up once; a network that a database splits
into smaller records (a single Tor exit, say) is cached per address instead. A file
replaced on disk is read again by ``reload`` (polled, on SIGHUP, or forced) off the loop,
and swapped in whole; a bad new file is logged and the loaded one kept.
"""

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import geoip2.database
from geoip2.errors import AddressNotFoundError, GeoIP2Error
from maxminddb.errors import InvalidDatabaseError

from licmon.domain.detectors.bounded import LruMap
from licmon.domain.detectors.netkeys import network_key
from licmon.domain.models import NO_GEO, GeoInfo
from licmon.domain.network import IPAddress
from licmon.errors import ConfigError
from licmon.geoip.records import DEFAULT_ACCURACY_KM, FIELDS
from licmon.geoip.slots import (
    ANONYMOUS,
    ASN,
    CITY,
    SLOTS,
    DatabaseInfo,
    Signature,
    open_reader,
    signature,
)

log = logging.getLogger(__name__)
DETECTORS_OF = {
    CITY: "impossible_travel, territory",
    ASN: "network_spread by ASN",
    ANONYMOUS: "anonymizer",
}


class GeoMetrics(Protocol):
    def geoip_lookup(self, database: str, result: str) -> None: ...

    def geoip_database_loaded(self, database: str, built_at: float) -> None: ...


class _Split:
    """Cached for a network that a database divides: look the address up instead."""


SPLIT = _Split()


class MaxMindGeo:
    def __init__(
        self,
        paths: Mapping[str, str | Path],
        cache_size: int = 65536,
        default_accuracy_km: int = DEFAULT_ACCURACY_KM,
    ) -> None:
        self.default_accuracy_km = default_accuracy_km
        self.paths = {slot: Path(p) for slot, p in paths.items() if p and slot in SLOTS}
        self.metrics: GeoMetrics | None = None
        self._readers: dict[str, geoip2.database.Reader] = {}
        self._info: dict[str, DatabaseInfo] = {}
        self._seen: dict[str, Signature | None] = {}
        self._cache_size = cache_size
        self._clear_cache()

    # -- life cycle
    def open(self) -> list[str]:
        """Load every configured file; return the slots whose file is missing (each logged
        once). A corrupt or wrong-type file raises ConfigError naming it."""
        missing = []
        for slot, path in self.paths.items():
            self._seen[slot] = signature(path)
            if self._seen[slot] is None:
                missing.append(slot)
                log.warning(
                    "GeoIP database missing: its detectors are off until it appears",
                    extra={"database": slot, "path": str(path), "off": DETECTORS_OF[slot]},
                )
                continue
            self._swap(slot, *open_reader(slot, path))
        return missing

    async def reload(self, force: bool = False) -> list[str]:
        """Read again each file that changed on disk (every file with ``force``); returns the
        slots reloaded. A file that cannot be read keeps the loaded database."""
        reloaded = []
        for slot, path in self.paths.items():
            now_seen = signature(path)
            if now_seen is None or (now_seen == self._seen.get(slot) and not force):
                continue
            self._seen[slot] = now_seen
            try:
                reader, info = await asyncio.to_thread(open_reader, slot, path)
            except ConfigError as exc:
                log.warning("GeoIP reload refused; keeping the loaded database: %s", exc.message)
                continue
            self._swap(slot, reader, info)
            reloaded.append(slot)
            log.info("GeoIP database loaded", extra={"database": slot, **info.as_dict()})
        return reloaded

    async def watch(self, every: float) -> None:
        """Poll the files for changes until cancelled."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.reload()
            except Exception:
                log.exception("GeoIP reload failed")

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()

    # -- the Geo protocol
    def lookup(self, address: IPAddress) -> GeoInfo:
        if not self._readers:
            return NO_GEO
        net = network_key(address)
        cached = self._networks.get(net)
        if isinstance(cached, GeoInfo):
            return cached
        host = (address.version, int(address))
        if cached is SPLIT and (hit := self._hosts.get(host)) is not None:
            return hit
        info, split = self._query(address)
        if split:
            self._networks.put(net, SPLIT)
            self._hosts.put(host, info)
        else:
            self._networks.put(net, info)
        return info

    def locates(self) -> bool:
        return CITY in self._readers

    def status(self) -> dict[str, str]:
        return {f"geoip_{slot}": self._state(slot) for slot in SLOTS}

    def loaded(self) -> dict[str, DatabaseInfo]:
        return dict(self._info)

    # -- inside
    def _query(self, address: IPAddress) -> tuple[GeoInfo, bool]:
        fields: dict[str, Any] = {}
        split = False
        widest = 24 if address.version == 4 else 48
        for slot, reader in self._readers.items():
            try:
                model = _ask(reader, slot, self._info[slot].database_type, address)
            except AddressNotFoundError as missing:
                gap = missing.network
                split = split or (gap is not None and gap.prefixlen > widest)
                self._count(slot, "not_found")
                continue
            except (GeoIP2Error, InvalidDatabaseError, ValueError, TypeError):
                self._count(slot, "error")
                continue
            network = getattr(model, "network", None) or model.traits.network
            split = split or (network is not None and network.prefixlen > widest)
            self._count(slot, "found")
            fields.update(FIELDS[slot](model, self.default_accuracy_km))
        return GeoInfo(**fields), split

    def _swap(self, slot: str, reader: geoip2.database.Reader, info: DatabaseInfo) -> None:
        old = self._readers.get(slot)
        self._readers[slot], self._info[slot] = reader, info
        self._clear_cache()
        if self.metrics is not None:
            self.metrics.geoip_database_loaded(slot, info.built_at)
        if old is not None:
            old.close()

    def _clear_cache(self) -> None:
        self._networks: LruMap[int, GeoInfo | _Split] = LruMap(self._cache_size)
        self._hosts: LruMap[tuple[int, int], GeoInfo] = LruMap(self._cache_size)

    def _count(self, slot: str, result: str) -> None:
        if self.metrics is not None:
            self.metrics.geoip_lookup(slot, result)

    def _state(self, slot: str) -> str:
        if slot not in self.paths:
            return "off"
        info = self._info.get(slot)
        if info is None:
            return f"missing ({DETECTORS_OF[slot]} off)"
        shown = info.as_dict()
        return f"loaded {shown['type']} built {shown['built']} nodes {shown['nodes']}"


def _ask(reader: geoip2.database.Reader, slot: str, database_type: str, address: IPAddress) -> Any:
    """The geoip2 model of the slot's database type for the address."""
    if slot == CITY:
        city = "City" in database_type or "Enterprise" in database_type
        return reader.city(address) if city else reader.country(address)
    if slot == ASN:
        return reader.isp(address) if "ISP" in database_type else reader.asn(address)
    return reader.anonymous_ip(address)
