"""Detectors of where a license is used: network spread, impossible travel, territory,
anonymizers."""

from collections.abc import Callable
from dataclasses import dataclass, field

from licmon.domain.detectors.bounded import LruMap, RecentKeys
from licmon.domain.detectors.events import CheckinEvent, FlagDraft, FlagKind, Severity
from licmon.domain.detectors.geodesy import distance_km
from licmon.domain.detectors.learned import (
    FIRST_COUNTRY,
    TRAVEL_PAIR,
    Learned,
    PlaceNames,
    hop_subject,
    parse_hop,
)
from licmon.domain.detectors.netkeys import network_text
from licmon.domain.detectors.thresholds import Thresholds
from licmon.domain.models import DenyReason


@dataclass(slots=True)
class _Spread:
    """Networks of one license, grouped by ASN. ``places`` is the sum over ASNs of
    min(networks, per_asn): one carrier's address pool counts as a few places, not many."""

    networks: RecentKeys[int]
    group_of: dict[int, int] = field(default_factory=dict)
    per_group: dict[int, int] = field(default_factory=dict)
    places: int = 0
    asns: int = 0


class NetworkSpread:
    """Too many distinct networks or ASNs for one license in a window, scaled by its seats.
    Private and carrier-grade NAT ranges, anonymizer exits and the organization's declared
    places are not counted. Allowances grow with seats linearly up to ``spread_seat_knee``,
    then as a power ``spread_seat_exponent`` below one."""

    kind = FlagKind.NETWORK_SPREAD

    def __init__(self, t: Thresholds) -> None:
        self.t = t
        self._spread: LruMap[int, _Spread] = LruMap(t.detector_licenses)

    def observe(self, event: CheckinEvent, now: int) -> FlagDraft | None:
        if not (event.usable and event.routable and event.license_id is not None):
            return None
        if event.anonymizer is not None or event.known_place is not None:
            return None
        cap = self.t.detector_machines_per_license
        spread = self._spread.setdefault(event.license_id, lambda: _Spread(RecentKeys(cap)))
        if spread.networks.touch(event.network, now):
            self._add(spread, event.network, event.asn)
        for gone in spread.networks.expire(now - self.t.spread_window_seconds):
            self._remove(spread, gone)
        return self._judge(spread, event, now)

    def _add(self, spread: _Spread, network: int, asn: int | None) -> None:
        group = asn if asn is not None else -1 - network
        spread.group_of[network] = group
        count = spread.per_group.get(group, 0) + 1
        spread.per_group[group] = count
        spread.places += count <= self.t.spread_networks_per_asn
        spread.asns += count == 1 and group >= 0

    def _remove(self, spread: _Spread, network: int) -> None:
        group = spread.group_of.pop(network)
        count = spread.per_group[group] - 1
        spread.places -= count < self.t.spread_networks_per_asn
        if count:
            spread.per_group[group] = count
        else:
            del spread.per_group[group]
            spread.asns -= group >= 0

    def _judge(self, spread: _Spread, event: CheckinEvent, now: int) -> FlagDraft | None:
        t = self.t
        scale = seat_scale(event.seats, t.spread_seat_knee, t.spread_seat_exponent)
        max_places = int(t.spread_networks_base + t.spread_networks_per_seat * scale)
        max_asns = int(t.spread_asns_base + t.spread_asns_per_seat * scale)
        if spread.places <= max_places and spread.asns <= max_asns:
            return None
        evidence = {
            "networks": len(spread.networks),
            "places": spread.places,
            "asns": spread.asns,
            "max_places": max_places,
            "max_asns": max_asns,
            "latest_network": network_text(event.network),
            "window_seconds": t.spread_window_seconds,
        }
        return FlagDraft(self.kind, Severity.MEDIUM, event.license_id, now, evidence)


def seat_scale(seats: int, knee: int, exponent: float) -> float:
    """Seats as the allowances see them: linear up to ``knee``, then growing as a power below
    one, so that a big license cannot hide a leaked key among its many networks."""
    if seats <= knee:
        return float(seats)
    return float(knee * (seats / knee) ** exponent)


@dataclass(frozen=True, slots=True)
class _Point:
    at: int
    latitude: float
    longitude: float
    accuracy_km: int
    country: str | None
    network: int
    machine: str = ""


class ImpossibleTravel:
    """Two check-ins implying a speed above ``travel_max_kmh``: the distance less both
    accuracy radii, over the time between them. Single-seat licenses are followed as one
    traveller, others machine by machine (two seats in two cities are normal). Skipped for
    anonymizer exits, declared places and locations vaguer than ``travel_max_accuracy_km``.

    Learned stable places: when one machine hops back over a pair of networks it hopped
    over before (A to B, then B to A), the pair is a path effect (a VPN, a split tunnel),
    not travel; hops between the pair are not flagged again (at most
    ``travel_pairs_per_license`` pairs kept per license). One machine's first impossible
    hop waits ``travel_return_seconds``: back at A by then, it was a path effect; still
    away, it is flagged then. Two machines (two people) are flagged at once."""

    kind = FlagKind.IMPOSSIBLE_TRAVEL

    def __init__(self, t: Thresholds, names: PlaceNames | None = None) -> None:
        self.t = t
        self.names = names or PlaceNames()
        self._last: LruMap[tuple[int, str], _Point] = LruMap(t.detector_licenses)
        # hops between networks, by their pseudonyms (kept across restarts, see learned)
        self._hops: LruMap[int, RecentKeys[tuple[int, int]]] = LruMap(t.detector_licenses)
        # a machine's impossible hop, waiting to see whether it comes back (a path effect)
        self._pending: LruMap[tuple[int, str], tuple[_Point, _Point]] = LruMap(t.detector_licenses)

    def observe(self, event: CheckinEvent, now: int) -> FlagDraft | None:
        point = self._point(event, now)
        if point is None or event.license_id is None:
            return None
        key = (event.license_id, event.machine if event.seats > 1 else "")
        last = self._last.get(key)
        self._last.put(key, point)
        waited = self._waited(key, point, now)
        if last is None:
            return waited
        speed, distance = self._speed(last, point)
        if speed <= self.t.travel_max_kmh or distance < self.t.travel_min_km:
            return waited
        if last.machine == point.machine:
            if self._stable(event.license_id, last, point, now):
                return waited
            if self.t.travel_return_seconds > 0:  # a path effect comes back: wait and see
                self._pending.put(key, (last, point))
                return waited
        return waited or self._draft(event.license_id, last, point, now)

    def _waited(self, key: tuple[int, str], point: _Point, now: int) -> FlagDraft | None:
        """A hop that waited: forgotten when the machine came back to where it hopped from,
        flagged once it stayed away ``travel_return_seconds``."""
        pending = self._pending.get(key)
        if pending is None:
            return None
        start, end = pending
        if point.network == start.network:
            self._pending.pop(key)
            return None
        if now - end.at < self.t.travel_return_seconds:
            return None
        self._pending.pop(key)
        return self._draft(key[0], start, end, now)

    def _draft(self, license_id: int, a: _Point, b: _Point, now: int) -> FlagDraft:
        speed, distance = self._speed(a, b)
        evidence = {
            "from": _place(a),
            "to": _place(b),
            "distance_km": round(distance),
            "hours": round((b.at - a.at) / 3600, 2),
            "speed_kmh": round(speed),
        }
        return FlagDraft(self.kind, Severity.HIGH, license_id, now, evidence)

    def _point(self, event: CheckinEvent, now: int) -> _Point | None:
        if not event.usable or event.anonymizer is not None or not event.routable:
            return None
        if event.known_place is not None:  # a declared office or VPN egress
            return None
        if event.latitude is None or event.longitude is None:
            return None
        accuracy = event.accuracy_km if event.accuracy_km is not None else 0
        if accuracy > self.t.travel_max_accuracy_km:
            return None
        return _Point(
            now,
            event.latitude,
            event.longitude,
            accuracy,
            event.country,
            event.network,
            event.machine,
        )

    def _stable(self, license_id: int, a: _Point, b: _Point, now: int) -> bool:
        """Record the hop a -> b; True when b -> a was hopped before (a learned pair)."""
        name_a, name_b = self.names.name(a.network), self.names.name(b.network)
        hops = self._hops_of(license_id)
        stable = (name_b, name_a) in hops
        hops.touch((name_a, name_b), now)
        return stable

    def _hops_of(self, license_id: int) -> RecentKeys[tuple[int, int]]:
        cap = self.t.travel_pairs_per_license * 2
        return self._hops.setdefault(license_id, lambda: RecentKeys(cap))

    def learned(self, since: int) -> list[Learned]:
        """The hops recorded since ``since`` (pseudonyms only)."""
        return [
            Learned(TRAVEL_PAIR, license_id, hop_subject(hop), None, at)
            for license_id, hops in self._hops.items()
            for hop, at in hops.items()
            if at >= since
        ]

    def learn(self, fact: Learned) -> None:
        hop = parse_hop(fact.subject)
        if hop is not None:
            self._hops_of(fact.license_id).touch(hop, fact.at)

    @staticmethod
    def _speed(a: _Point, b: _Point) -> tuple[float, float]:
        distance = distance_km(a.latitude, a.longitude, b.latitude, b.longitude)
        reach = distance - a.accuracy_km - b.accuracy_km
        hours = max(b.at - a.at, 60) / 3600
        return max(reach, 0.0) / hours, distance


def _place(point: _Point) -> dict[str, object]:
    return {
        "at": point.at,
        "country": point.country,
        "latitude": round(point.latitude, 2),
        "longitude": round(point.longitude, 2),
        "accuracy_km": point.accuracy_km,
        "network": network_text(point.network),
    }


class Territory:
    """A check-in refused because its country is outside the license's list; a check-in of
    such a license from an unknown country is reported (``unknown_country``), not denied."""

    kind = FlagKind.TERRITORY

    def observe(self, event: CheckinEvent, now: int) -> FlagDraft | None:
        if event.license_id is None:
            return None
        allowed = sorted(event.allowed_countries)
        if event.reason is DenyReason.TERRITORY:
            evidence = {"country": event.country, "allowed": allowed}
            return FlagDraft(self.kind, Severity.MEDIUM, event.license_id, now, evidence)
        if allowed and event.located and event.country is None and event.usable:
            evidence = {"country": None, "allowed": allowed, "network": network_text(event.network)}
            return FlagDraft(
                FlagKind.UNKNOWN_COUNTRY, Severity.INFO, event.license_id, now, evidence
            )
        return None


FIRST_COUNTRY_REFRESH_SECONDS = 3600


class Anonymizer:
    """A check-in through a VPN, Tor exit, public or residential proxy or hosting range. Low
    severity alone (privacy); medium when the license raised other flags in the last
    ``anonymizer_signal_seconds``; high when it looks like evasion: an exit inside the
    license's allowed countries used by a machine first seen outside them."""

    kind = FlagKind.ANONYMIZER

    def __init__(self, t: Thresholds, signals: Callable[[int, int], int] = lambda _l, _n: 0):
        self.t = t
        self.signals = signals
        # (license, machine) -> (country, when first seen there)
        self._first_country: LruMap[tuple[int, str], tuple[str, int]] = LruMap(t.detector_licenses)

    def observe(self, event: CheckinEvent, now: int) -> FlagDraft | None:
        if event.license_id is None:
            return None
        key = (event.license_id, event.machine)
        if event.anonymizer is None:
            if event.country is not None:
                self._seen_at_home(key, event.country, now)
            return None
        seen = self._first_country.get(key)
        first = seen[0] if seen is not None else None
        allowed = event.allowed_countries
        evasion = bool(allowed) and event.country in allowed and first not in (None, *allowed)
        others = self.signals(event.license_id, now - self.t.anonymizer_signal_seconds)
        severity = Severity.HIGH if evasion else Severity.MEDIUM if others else Severity.LOW
        evidence = {
            "anonymizer": event.anonymizer,
            "network": network_text(event.network),
            "asn": event.asn,
            "country": event.country,
            "first_country": first,
            "evasion": evasion,
            "other_flags": others,
        }
        return FlagDraft(self.kind, severity, event.license_id, now, evidence)

    def _seen_at_home(self, key: tuple[int, str], country: str, now: int) -> None:
        """Remember the first country; refresh its time now and then (it is kept while the
        machine is in use, and saved again after a refresh)."""
        seen = self._first_country.get(key)
        if seen is None or now - seen[1] >= FIRST_COUNTRY_REFRESH_SECONDS:
            self._first_country.put(key, (seen[0] if seen else country, now))

    def learned(self, since: int) -> list[Learned]:
        return [
            Learned(FIRST_COUNTRY, license_id, machine, country, at)
            for (license_id, machine), (country, at) in self._first_country.items()
            if at >= since
        ]

    def learn(self, fact: Learned) -> None:
        key = (fact.license_id, fact.subject)
        if self._first_country.get(key) is None:
            self._first_country.put(key, (str(fact.value), fact.at))
