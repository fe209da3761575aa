"""Answering an air-gapped machine's activation request, and taking its seat back early.

Runs where the data directory is (the command line; later the admin API and the console):
the key is found by its hash, the seat held and audited, the license file signed, all in
one store command, so that no seat is ever held without its file, nor a file without its seat.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from licmon.domain import license_keys
from licmon.domain.audit import SYSTEM_ACTOR
from licmon.domain.models import License
from licmon.domain.offline import (
    ActivationGrant,
    ActivationRequest,
    offline_claims,
    parse_activation_request,
    parse_return_code,
)
from licmon.errors import BadRequest
from licmon.signing import KeyRing
from licmon.store.base import Store

MAX_REQUEST_BYTES = 16 * 1024


@dataclass(frozen=True)
class Activator:
    store: Store
    ring: KeyRing
    pepper: bytes
    issuer: str

    async def issue(
        self, req: ActivationRequest, days: int, *, actor: str = SYSTEM_ACTOR
    ) -> ActivationGrant:
        def make_token(lic: License, grant: ActivationGrant) -> str:
            return self.ring.sign(offline_claims(self.issuer, lic, req, grant))

        key_hash = license_keys.key_hash(self.pepper, req.key)
        return await self.store.issue_activation(key_hash, req, days, make_token, actor=actor)

    async def give_back(self, code: str, *, actor: str = SYSTEM_ACTOR) -> int:
        activation_id, secret = parse_return_code(code)
        return await self.store.return_activation(activation_id, secret, actor=actor)


def read_capped(path: Path, limit: int, what: str) -> bytes:
    """A small file people carry between machines: read at most ``limit`` bytes of it."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise BadRequest(f"{path.name}: {exc.strerror}") from None
    if len(raw) > limit:
        raise BadRequest(f"{path.name} is too large for {what}.")
    return raw


def read_request(path: Path) -> ActivationRequest:
    """An activation request file, strictly checked; one plain sentence when it is not."""
    raw = read_capped(path, MAX_REQUEST_BYTES, "an activation request")
    try:
        body = json.loads(raw)
    except ValueError:
        raise BadRequest(f"{path.name} is not JSON: not an activation request.") from None
    return parse_activation_request(body)
