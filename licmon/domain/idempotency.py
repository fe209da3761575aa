"""Idempotency-Key on the admin API's POSTs: a retried request gets the first answer.

A key is scoped to the token's owner and the route (method and path). The store keeps only
a keyed hash of the key, a hash of the request, and the first answer sealed (AES-GCM) under
a key derived from the pepper and the Idempotency-Key itself: a license key in a stored
answer is readable by nobody who holds the database alone."""

import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from licmon.errors import BadRequest, Conflict, Unprocessable

HEADER = "Idempotency-Key"
KEY_RE = re.compile(r"[\x21-\x7e]{1,255}")
KEEP_SECONDS = 86400  # a key is remembered this long; afterwards it is a new request
_NONCE = 12


@dataclass(frozen=True, slots=True)
class Claim:
    """One request under one key, as the store keeps it."""

    owner: int  # the staff user behind the token
    route: str  # "POST /v1/admin/licenses"
    key_hash: bytes
    request_hash: bytes
    now: int


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    request_hash: bytes
    status: int | None  # None: the first request is still being answered
    sealed: bytes | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any


def parse_key(header: str) -> str:
    if not KEY_RE.fullmatch(header):
        raise BadRequest(f"{HEADER} must be 1-255 printable ASCII characters.", field=HEADER)
    return header


def claim_for(
    pepper: bytes, owner: int, route: str, key: str, body: Any, now: int
) -> tuple[Claim, bytes]:
    """The claim to store and the secret that seals its answer."""
    scope = f"{owner}\n{route}\n{key}".encode()
    key_hash = hmac.new(pepper, b"licmon idempotency key\n" + scope, hashlib.sha256).digest()
    secret = hmac.new(pepper, b"licmon idempotency seal\n" + scope, hashlib.sha256).digest()
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    request_hash = hashlib.sha256(route.encode() + b"\n" + canonical).digest()
    return Claim(owner, route, key_hash, request_hash, now), secret


def replay(stored: StoredAnswer, claim: Claim, secret: bytes) -> Answer:
    """The first answer again; a different body under the key (422) or a first request not
    yet answered (409) is refused."""
    if not hmac.compare_digest(stored.request_hash, claim.request_hash):
        raise Unprocessable(f"This {HEADER} was used for a different request.")
    if stored.status is None or stored.sealed is None:
        raise Conflict(f"A request with this {HEADER} is still being answered; retry later.")
    return Answer(stored.status, json.loads(unseal(secret, stored.sealed)))


def seal(secret: bytes, answer: Answer) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(secret).encrypt(nonce, json.dumps(answer.body).encode(), None)


def unseal(secret: bytes, sealed: bytes) -> bytes:
    try:
        return AESGCM(secret).decrypt(sealed[:_NONCE], sealed[_NONCE:], None)
    except InvalidTag:
        raise Conflict(f"The stored answer for this {HEADER} cannot be read.") from None


def expired_before(now: int) -> int:
    return now - KEEP_SECONDS
