"""Seats held for days: borrowed over the network, or activated on an air-gapped machine.

An air-gapped machine writes an activation request (its key, checked by its check character,
the machine, a fresh nonce, the time); where the data directory is, the request is answered
with a license file: an EdDSA JWT with the lease claims, ``offline: true`` and ``jti`` (the
activation's id). The file's holder may hand it back early with a return code derived from
the file; the server keeps only a hash of that code.
"""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any

from licmon.domain import license_keys
from licmon.domain import validation as v
from licmon.domain.models import CheckinRequest, License
from licmon.domain.purposes import DAY
from licmon.errors import BadRequest, Forbidden

REQUEST_FORMAT = "licmon-activation-request/1"
REQUEST_FIELDS = {"format", "key", "product", "machine", "nonce", "created_at"}
RETURN_CODE_RE = re.compile(r"LMR-([1-9][0-9]{0,17})-([A-Za-z0-9_-]{22})")
MAX_DAYS = 3650


@dataclass(frozen=True, slots=True)
class ActivationRequest:
    key: str
    product: str
    machine: str
    nonce: str
    created_at: int


@dataclass(frozen=True, slots=True)
class ActivationGrant:
    """What an answered request gave: the license file and the seat it holds."""

    activation_id: int
    license_id: int
    token: str
    issued_at: int
    expires_at: int
    seats_in_use: int


def parse_activation_request(body: object) -> ActivationRequest:
    fields = v.require_object(body, REQUEST_FIELDS, set())
    if fields["format"] != REQUEST_FORMAT:
        raise BadRequest(f"Not a licmon activation request (format is not {REQUEST_FORMAT}).")
    key = v.key_field(fields)
    if license_keys.canonical(key) is None:
        raise BadRequest("The request's license key is mistyped: its check character fails.")
    created = v.time_field(fields, "created_at")
    assert created is not None  # a required field
    return ActivationRequest(
        key=key,
        product=v.product_field(fields),
        machine=v.machine_field(fields),
        nonce=v.nonce_field(fields),
        created_at=created,
    )


def parse_borrow(body: object) -> CheckinRequest:
    required = {"key", "product", "machine", "nonce", "days"}
    fields = v.require_object(body, required, {"client_time", "app_version", *v.INSTANCE_FIELDS})
    return CheckinRequest(
        key=v.key_field(fields),
        product=v.product_field(fields),
        machine=v.machine_field(fields),
        nonce=v.nonce_field(fields),
        client_time=v.time_field(fields, "client_time"),
        app_version=v.version_field(fields),
        borrow_days=days_field(fields["days"], "days"),
        **v.instance_fields(fields),
    )


def days_field(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DAYS:
        raise BadRequest(
            f"Field '{name}' must be a whole number of days, 1-{MAX_DAYS}.", field=name
        )
    return value


def borrow_allowed(lic: License, days: int) -> bool:
    return days <= lic.terms.max_borrow_days


def check_offline_days(lic: License, days: int) -> None:
    """An air-gapped seat is held at most the license's ``max_offline_days``."""
    limit = lic.terms.max_offline_days
    if limit == 0:
        raise Forbidden(f"License {lic.id} does not allow air-gapped activation.")
    if days > limit:
        raise Forbidden(f"License {lic.id} allows at most {limit} days offline.")


def held_until(lic: License, now: int, days: int) -> int:
    """The end of a seat held for days, never past the license's own end."""
    end = now + days * DAY
    return min(end, lic.terms.valid_until) if lic.terms.valid_until else end


def offline_claims(
    issuer: str, lic: License, req: ActivationRequest, grant: ActivationGrant
) -> dict[str, Any]:
    return {
        "iss": issuer,
        "sub": str(lic.id),
        "aud": lic.product,
        "jti": str(grant.activation_id),
        "machine": req.machine,
        "nonce": req.nonce,
        "iat": grant.issued_at,
        "exp": grant.expires_at,
        "grace_until": grant.expires_at,
        "offline": True,
        "seats": lic.terms.seats,
        "seats_in_use": grant.seats_in_use,
        "entitlements": list(lic.terms.entitlements),
    }


def return_secret(token: str) -> str:
    """What only the license file's holder can say: a digest of the file."""
    digest = hashlib.sha256(b"licmon-return\0" + token.strip().encode()).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def return_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_return_code(code: str) -> tuple[int, str]:
    """(activation id, secret) of a return code ``LMR-<id>-<secret>``."""
    match = RETURN_CODE_RE.fullmatch(code.strip())
    if match is None:
        raise BadRequest("Not a licmon return code (LMR-<number>-<22 characters>).")
    return int(match.group(1)), match.group(2)


def return_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(return_hash(secret), stored_hash)
