"""What one node tells the others its detectors saw, so that every node's detectors and
key-guessing throttle see the traffic of all nodes.

A shared record holds no more than the connection log may: a license's check-in keeps its
network only where the organization's precision keeps one, and no host at all; an unknown
key's caller is a keyed pseudonym of its host (the pepper, which every node holds and the
database does not, is the key), never its address. Records are compact JSON text, fields
at their default left out; a record this version cannot read is skipped, never fatal.
"""

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from licmon.domain.detectors.events import CheckinEvent
from licmon.domain.detectors.netkeys import host_key
from licmon.domain.models import DenyReason, IpPrecision, Outcome
from licmon.domain.network import IPAddress

HOST_PSEUDONYM_CONTEXT = b"licmon shared detector host v1"
_DEFAULTS = {
    f.name: f.default
    for f in dataclasses.fields(CheckinEvent)
    if f.default is not dataclasses.MISSING
}
THROTTLED = "throttled"  # an attempt the throttle refused before its key was looked at


@dataclass(frozen=True, slots=True)
class SharedObservation:
    """One record read back: a check-in (or unknown key) or a refused throttled attempt."""

    event: CheckinEvent | None = None
    throttled_host: int | None = None
    at: int = 0


def host_pseudonym(pepper: bytes) -> Callable[[IPAddress], int]:
    """The host key as every node of one installation computes it, and nobody else can."""
    key = hashlib.sha256(HOST_PSEUDONYM_CONTEXT + pepper).digest()

    def pseudonym(address: IPAddress) -> int:
        digest = hashlib.blake2b(host_key(address).to_bytes(17, "big"), key=key, digest_size=8)
        return int.from_bytes(digest.digest(), "big") >> 1

    return pseudonym


def shareable(event: CheckinEvent, precision: IpPrecision | None) -> CheckinEvent:
    """The event reduced to what may leave this node: a license's check-in loses its host,
    and under precision ``none`` its network and place too (as the connection log does)."""
    if event.license_id is None:
        return event
    if precision is IpPrecision.NONE:
        return dataclasses.replace(
            event,
            host=0,
            network=0,
            routable=False,
            latitude=None,
            longitude=None,
            accuracy_km=None,
        )
    return dataclasses.replace(event, host=0)


def encode_event(event: CheckinEvent) -> str:
    fields = {
        name: _plain(value)
        for name in _FIELD_NAMES
        if (value := getattr(event, name)) != _DEFAULTS.get(name, dataclasses.MISSING)
    }
    return json.dumps(fields, separators=(",", ":"))


def encode_throttled(host: int, at: int) -> str:
    return json.dumps({"kind": THROTTLED, "host": host, "at": at}, separators=(",", ":"))


def decode(text: str) -> SharedObservation | None:
    """The record, or None when it cannot be read (another version, damaged)."""
    try:
        fields = json.loads(text)
        if fields.get("kind") == THROTTLED:
            return SharedObservation(throttled_host=int(fields["host"]), at=int(fields["at"]))
        return SharedObservation(event=_event(fields), at=int(fields["at"]))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _event(fields: dict[str, Any]) -> CheckinEvent:
    known = {k: v for k, v in fields.items() if k in _FIELD_NAMES}
    known["outcome"] = Outcome(known["outcome"])
    if known.get("reason") is not None:
        known["reason"] = DenyReason(known["reason"])
    if "allowed_countries" in known:
        known["allowed_countries"] = frozenset(known["allowed_countries"])
    return CheckinEvent(**known)


def _plain(value: Any) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    return value


_FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(CheckinEvent))
