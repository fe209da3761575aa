"""Check-ins (live, or read back from the connection log) as the events detectors see."""

from collections.abc import Mapping
from typing import Any

from licmon.domain.detectors.events import CheckinEvent
from licmon.domain.detectors.netkeys import host_key, network_key, routable
from licmon.domain.models import (
    CheckinRequest,
    DenyReason,
    GeoInfo,
    License,
    Outcome,
)
from licmon.domain.network import IPAddress, parse_ip


def checkin_event(
    lic: License,
    req: CheckinRequest,
    address: IPAddress,
    geo: GeoInfo,
    outcome: Outcome,
    reason: DenyReason | None,
    now: int,
    located: bool,
    known_place: str | None = None,
    *,
    overage: bool = False,
    chain_forked: bool = False,
) -> CheckinEvent:
    public = routable(address)
    return CheckinEvent(
        at=now,
        outcome=outcome,
        network=network_key(address),
        host=host_key(address),
        license_id=lic.id,
        machine=req.machine,
        reason=reason,
        routable=public,
        located=located,
        asn=geo.asn,
        country=geo.country,
        latitude=geo.latitude,
        longitude=geo.longitude,
        accuracy_km=geo.accuracy_km,
        anonymizer=geo.anonymizer,
        client_time=req.client_time,
        nonce=req.nonce,
        seats=lic.terms.seats,
        max_machines=lic.terms.max_machines,
        allowed_countries=lic.terms.allowed_countries,
        lease_seconds=lic.terms.lease_seconds,
        known_place=known_place,
        overage=overage,
        chain_forked=chain_forked,
    )


def invalid_key_event(
    address: IPAddress,
    machine: str,
    now: int,
    asn: int | None = None,
    well_formed: bool = True,
    host: int | None = None,
) -> CheckinEvent:
    """An unknown key: counted against the address (whatever the machine), its network and
    its ASN. ``host``: the host's key when not ``host_key`` (a pseudonym shared by nodes)."""
    return CheckinEvent(
        at=now,
        outcome=Outcome.INVALID_KEY,
        network=network_key(address),
        host=host_key(address) if host is None else host,
        machine=machine,
        routable=routable(address),
        asn=asn,
        well_formed=well_formed,
    )


def history_event(
    row: Mapping[str, Any], lic: License, located: bool, known_place: str | None = None
) -> CheckinEvent:
    """A connection-log row (one license, machine, address and day) as the renewal it last
    recorded. A row kept without an address (precision ``none``) has no network."""
    address = parse_ip(str(row["address"] or "").split("/", 1)[0])
    return CheckinEvent(
        at=int(row["last_seen"]),
        outcome=Outcome.RENEWED,
        network=network_key(address) if address is not None else 0,
        license_id=lic.id,
        machine=str(row["machine"]),
        routable=address is not None and routable(address),
        located=located,
        asn=row["asn"],
        country=row["country"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        accuracy_km=row["accuracy_km"],
        anonymizer=row["anonymizer"],
        seats=lic.terms.seats,
        max_machines=lic.terms.max_machines,
        allowed_countries=lic.terms.allowed_countries,
        lease_seconds=lic.terms.lease_seconds,
        known_place=known_place,
    )
