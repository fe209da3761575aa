"""Air-gapped machines: the activation request, the license file's offline check, its return.

1. ``activation_request(key, product)`` on the offline machine: a JSON document (the key,
   checked by its check character first, this machine, a fresh nonce, the time). It holds the
   key: :func:`write_private_json` keeps it owner-only.
2. Whoever holds licmon's data directory answers it with a license file (an EdDSA JWT).
3. ``verify_license_file(token, keys, product)`` on the offline machine, with no network:
   signed by a trusted key, ``offline: true``, this product and machine, the request's nonce
   (when the request is at hand), not expired by this computer's clock.
4. ``return_code(token)``: the code that frees the seat early, taken back to the server.
"""

import base64
import hashlib
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from licmon.client.aio import check_key, new_nonce
from licmon.client.fingerprint import machine_fingerprint
from licmon.client.lease import (
    Lease,
    LeaseRejected,
    TrustedKeys,
    _decode,
    _header,
    _is_int,
    _same,
)

REQUEST_FORMAT = "licmon-activation-request/1"


def activation_request(
    key: str, product: str, machine: str | None = None, now: float | None = None
) -> dict[str, str]:
    check_key(key)
    moment = time.time() if now is None else now
    return {
        "format": REQUEST_FORMAT,
        "key": key.strip(),
        "product": product,
        "machine": machine or machine_fingerprint(product),
        "nonce": new_nonce(),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment)),
    }


def verify_license_file(
    token: str,
    keys: TrustedKeys,
    product: str,
    machine: str | None = None,
    *,
    nonce: str | None = None,
    now: float | None = None,
) -> Lease:
    """The license file, verified fully offline; LeaseRejected saying why otherwise."""
    token = token.strip()
    header = _header(token)
    claims = _decode(token, keys.candidates(header.get("kid")), product)
    if claims.get("offline") is not True:
        raise LeaseRejected("this is not an offline license file")
    if not _same(claims["machine"], machine or machine_fingerprint(product)):
        raise LeaseRejected("the license file is for another machine")
    if nonce is not None and not _same(claims["nonce"], nonce):
        raise LeaseRejected("the license file answers another activation request")
    if not (_is_int(claims["exp"]) and _is_int(claims["iat"])):
        raise LeaseRejected("the license file's times are not whole seconds")
    if claims["exp"] <= (time.time() if now is None else now):
        raise LeaseRejected("the license file has expired; check the date and time")
    return Lease(token, claims)


def product_of(token: str) -> str:
    """The product a license file names, unverified: only to choose what to verify against."""
    try:
        payload = token.strip().split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        raise LeaseRejected("the license file is not a signed token") from None
    aud = claims.get("aud") if isinstance(claims, Mapping) else None
    if not isinstance(aud, str):
        raise LeaseRejected("the license file names no product")
    return aud


def return_code(lease: Lease) -> str:
    """``LMR-<activation>-<digest of the file>``: the server frees the seat when shown it."""
    activation = lease.claims.get("jti")
    if not isinstance(activation, str) or not activation.isdigit():
        raise LeaseRejected("the license file names no activation")
    digest = hashlib.sha256(b"licmon-return\0" + lease.token.encode()).digest()[:16]
    secret = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return f"LMR-{activation}-{secret}"


def write_private_json(path: Path, document: Mapping[str, Any]) -> None:
    """Owner-only and atomic: a request holds the license key."""
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
