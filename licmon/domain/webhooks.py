"""Webhooks in the domain's words: the events, endpoints, deliveries and the payloads.

A payload carries ids and facts only: never an address, a key, a token, a machine
fingerprint, a staff member's name or a free-text reason (which may hold any of those).
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from licmon.domain.flags import FlagStatus
from licmon.domain.models import License, LicenseStatus, LicenseTerms
from licmon.domain.validation import require_object, text_field
from licmon.errors import BadRequest

LICENSE_CREATED = "license.created"
LICENSE_UPDATED = "license.updated"
LICENSE_SUSPENDED = "license.suspended"
LICENSE_RESUMED = "license.resumed"
LICENSE_REVOKED = "license.revoked"
LICENSE_EXPIRING = "license.expiring"
SEAT_LIMIT_REACHED = "seat.limit_reached"
MACHINE_DEACTIVATED = "machine.deactivated"
FLAG_RAISED = "flag.raised"
FLAG_DECIDED = "flag.decided"
EVENT_TYPES = (
    LICENSE_CREATED,
    LICENSE_UPDATED,
    LICENSE_SUSPENDED,
    LICENSE_RESUMED,
    LICENSE_REVOKED,
    LICENSE_EXPIRING,
    SEAT_LIMIT_REACHED,
    MACHINE_DEACTIVATED,
    FLAG_RAISED,
    FLAG_DECIDED,
)
MAX_URL = 2000
DAY = 86400


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # every attempt failed: given up (redeliver by hand)


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    id: int
    url: str
    events: tuple[str, ...]
    enabled: bool
    created_at: int
    pending: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    id: int
    endpoint_id: int
    message_id: str  # the webhook-id header: one per event, kept across retries
    event_type: str
    status: DeliveryStatus
    attempts: int
    created_at: int
    next_attempt_at: int | None
    last_attempt_at: int | None
    last_result: str  # "HTTP 500", "timeout", "connection refused": never a URL or secret


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A delivery the worker sends now, with what it needs to sign and send it."""

    id: int
    endpoint_id: int
    url: str
    sealed_secret: bytes
    message_id: str
    event_type: str
    payload: str  # the JSON body, identical on every attempt
    attempts: int


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one attempt went: ``delivered`` (2xx) or not, and in a few words why."""

    delivered: bool
    result: str


def check_url(url: str, *, require_https: bool) -> str:
    """An absolute http(s) URL without credentials; https unless allowed otherwise."""
    url = url.strip()
    if not url or len(url) > MAX_URL:
        raise BadRequest(f"A webhook URL is 1 to {MAX_URL} characters.")
    parts = urlsplit(url)
    schemes = ("https",) if require_https else ("https", "http")
    if parts.scheme not in schemes or not parts.hostname:
        raise BadRequest(f"A webhook URL is an absolute {' or '.join(schemes)} URL.")
    if parts.username is not None or parts.password is not None:
        raise BadRequest("A webhook URL may not carry credentials (user:password@).")
    if parts.fragment:
        raise BadRequest("A webhook URL has no #fragment.")
    return url


def check_events(events: Iterable[object]) -> tuple[str, ...]:
    """Known event types, each once, in the documented order; at least one."""
    names = list(events)
    unknown = [name for name in names if name not in EVENT_TYPES]
    if unknown:
        raise BadRequest(
            f"Unknown event {str(unknown[0])[:40]!r}; events are {', '.join(EVENT_TYPES)}."
        )
    if not names:
        raise BadRequest("A webhook needs at least one event.")
    return tuple(name for name in EVENT_TYPES if name in names)


@dataclass(frozen=True, slots=True)
class NewEndpoint:
    url: str
    events: tuple[object, ...]


def parse_new_endpoint(body: object) -> NewEndpoint:
    """``{"url": "...", "events": [...]}``; unknown fields refused. The URL and events are
    checked by ``check_url`` and ``check_events`` where the settings are known."""
    fields = require_object(body, {"url", "events"}, set())
    url = text_field(fields, "url", lambda v: 0 < len(v) <= MAX_URL, f"1-{MAX_URL} characters")
    events = fields["events"]
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise BadRequest("Field 'events' must be a list of event names.", field="events")
    return NewEndpoint(url, tuple(events))


def parse_empty(body: object) -> None:
    """An action without parameters takes ``{}`` (or no fields at all)."""
    require_object(body, set(), set())


def envelope(event_type: str, at: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """The body every delivery carries (Standard Webhooks: type, timestamp, data)."""
    return {"type": event_type, "timestamp": iso(at), "data": dict(data)}


def iso(at: int) -> str:
    return datetime.datetime.fromtimestamp(at, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _license_facts(lic: License) -> dict[str, Any]:
    return {"license": lic.id, "org": lic.org.id, "product": lic.product}


def license_created(lic: License) -> dict[str, Any]:
    return _license_facts(lic) | {"status": lic.status.value, **terms_facts(lic.terms)}


def terms_facts(terms: LicenseTerms) -> dict[str, Any]:
    """The terms a receiver may act on; locked machines only counted (fingerprints)."""
    return {
        "seats": terms.seats,
        "max_machines": terms.max_machines,
        "valid_from": terms.valid_from,
        "valid_until": terms.valid_until,
        "allowed_countries": sorted(terms.allowed_countries),
        "lease_seconds": terms.lease_seconds,
        "grace_seconds": terms.grace_seconds,
        "entitlements": list(terms.entitlements),
        "max_borrow_days": terms.max_borrow_days,
        "max_offline_days": terms.max_offline_days,
        "locked_machines": len(terms.locked_machines),
    }


def license_updated(before: License, after: License) -> dict[str, Any] | None:
    """The changed terms, old and new; None when nothing a receiver sees has changed."""
    old, new = terms_facts(before.terms), terms_facts(after.terms)
    changed = sorted(name for name in new if old[name] != new[name])
    if not changed:
        return None
    return _license_facts(after) | {
        "changed": changed,
        "previous": {name: old[name] for name in changed},
        "current": {name: new[name] for name in changed},
    }


STATUS_EVENTS = {
    LicenseStatus.SUSPENDED: LICENSE_SUSPENDED,
    LicenseStatus.REVOKED: LICENSE_REVOKED,
    LicenseStatus.ACTIVE: LICENSE_RESUMED,
}


def status_changed(before: License, after: License) -> tuple[str, dict[str, Any]] | None:
    event = STATUS_EVENTS.get(after.status)
    if event is None or before.status is after.status:
        return None
    facts = {"previous_status": before.status.value, "status": after.status.value}
    return event, _license_facts(after) | facts


def license_expiring(lic: License, now: int) -> dict[str, Any]:
    until = lic.terms.valid_until or now
    return _license_facts(lic) | {
        "valid_until": until,
        "days_left": max(0, (until - now) // DAY),
    }


def seat_limit_reached(lic: License, seats_in_use: int, at: int) -> dict[str, Any]:
    return _license_facts(lic) | {
        "seats": lic.terms.seats,
        "seats_in_use": seats_in_use,
        "refused_at": iso(at),
    }


def machine_deactivated(lic: License, machine_id: int, seat_freed: bool) -> dict[str, Any]:
    """``machine_id``: the machine's row id, never its fingerprint."""
    return _license_facts(lic) | {"machine": machine_id, "seat_freed": seat_freed}


def flag_raised(flag_id: int, kind: str, severity: str, license_id: int | None) -> dict[str, Any]:
    return {"flag": flag_id, "kind": kind, "severity": severity, "license": license_id}


def flag_decided(
    flag_id: int, kind: str, license_id: int | None, before: str, after: FlagStatus
) -> dict[str, Any]:
    return {
        "flag": flag_id,
        "kind": kind,
        "license": license_id,
        "previous_status": before,
        "status": after.value,
    }
