"""The lease and its verification: a lease is trusted only when every check passes.

Checks, in order: the token is an EdDSA JWT; its signature matches a trusted Ed25519 key;
``aud`` is our product, ``machine`` is this computer, ``nonce`` is the one we just sent (so a
recorded answer cannot be replayed and a fake server cannot mint one); ``iss`` is the expected
server when one is named; the times are whole numbers and a fresh lease is not already expired
by this computer's clock, beyond a small leeway for clock skew.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ALGORITHM = "EdDSA"
REQUIRED_CLAIMS = ("iss", "sub", "aud", "machine", "nonce", "iat", "exp", "grace_until")
_TIME_CLAIMS = ("iat", "exp", "grace_until")


class LeaseRejected(Exception):
    """A lease failed a check; the message says which, in plain words, never quoting the lease."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Lease:
    """A verified lease. ``token`` is the JWT as the server signed it."""

    token: str
    claims: Mapping[str, Any]

    @property
    def license_id(self) -> str:
        return str(self.claims["sub"])

    @property
    def product(self) -> str:
        return str(self.claims["aud"])

    @property
    def machine(self) -> str:
        return str(self.claims["machine"])

    @property
    def lease_id(self) -> str | None:
        """``jti``: the next check-in presents it (the lease chain)."""
        value = self.claims.get("jti")
        return value if isinstance(value, str) else None

    @property
    def nonce(self) -> str:
        return str(self.claims["nonce"])

    @property
    def issued_at(self) -> int:
        return int(self.claims["iat"])

    @property
    def expires_at(self) -> int:
        """Renew before this."""
        return int(self.claims["exp"])

    @property
    def grace_until(self) -> int:
        return int(self.claims["grace_until"])

    @property
    def usable_until(self) -> int:
        """The end of use without the server: the lease itself, or its grace if that is later."""
        return max(self.expires_at, self.grace_until)

    @property
    def lifetime(self) -> int:
        return max(0, self.expires_at - self.issued_at)

    @property
    def seats(self) -> int | None:
        value = self.claims.get("seats")
        return value if isinstance(value, int) else None

    @property
    def entitlements(self) -> tuple[str, ...]:
        value = self.claims.get("entitlements")
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


@dataclass(frozen=True)
class Expected:
    """What a lease must say to be ours. ``nonce`` is None only for a lease read back from disk."""

    product: str
    machine: str
    nonce: str | None
    now: float
    leeway: float
    issuer: str | None = None


class TrustedKeys:
    """The Ed25519 public keys a lease may be signed with, by key id (``kid``)."""

    def __init__(self, keys: Mapping[str, Ed25519PublicKey]) -> None:
        if not keys:
            raise ValueError("no Ed25519 public key")
        self._keys = dict(keys)

    @classmethod
    def from_jwks(cls, jwks: Mapping[str, Any] | str | bytes) -> "TrustedKeys":
        """From a JWKS (``{"keys": [...]}``, as ``/.well-known/jwks.json`` publishes it)."""
        data = json.loads(jwks) if isinstance(jwks, str | bytes) else jwks
        entries = data.get("keys") if isinstance(data, Mapping) else None
        if not isinstance(entries, list):
            raise ValueError("not a JWKS: no 'keys' list")
        return cls(dict(_okp_keys(entries)))

    @classmethod
    def from_pem(cls, pem: bytes) -> "TrustedKeys":
        public = serialization.load_pem_public_key(pem)
        if not isinstance(public, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return cls({key_id(public): public})

    @classmethod
    def from_file(cls, path: Path) -> "TrustedKeys":
        """A JWKS JSON file or a PEM public key."""
        data = path.read_bytes()
        if data.lstrip().startswith(b"-----BEGIN"):
            return cls.from_pem(data)
        return cls.from_jwks(data)

    def candidates(self, kid: object) -> list[Ed25519PublicKey]:
        """The key named by ``kid``; with no ``kid``, every key (Ed25519 checks are cheap)."""
        if kid is None:
            return list(self._keys.values())
        key = self._keys.get(kid) if isinstance(kid, str) else None
        return [key] if key is not None else []

    def to_jwks(self) -> dict[str, Any]:
        return {"keys": [_jwk(kid, key) for kid, key in sorted(self._keys.items())]}

    def __len__(self) -> int:
        return len(self._keys)


def key_id(public: Ed25519PublicKey) -> str:
    """The server's ``kid`` rule: base64url of the first 12 bytes of SHA-256 of the raw key."""
    return _b64(hashlib.sha256(_raw(public)).digest()[:12])


def verify_lease(token: str, keys: TrustedKeys, expected: Expected) -> Lease:
    """The lease, verified; LeaseRejected saying why otherwise."""
    header = _header(token)
    claims = _decode(token, keys.candidates(header.get("kid")), expected.product)
    _check_binding(claims, expected)
    _check_times(claims, expected)
    return Lease(token, claims)


def _header(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise LeaseRejected("the lease is not a signed token") from None
    if header.get("alg") != ALGORITHM:
        raise LeaseRejected("the lease is not signed with EdDSA")
    return header


def _decode(token: str, keys: list[Ed25519PublicKey], product: str) -> dict[str, Any]:
    if not keys:
        raise LeaseRejected("the lease is signed by a key this program does not trust")
    for public in keys:
        try:
            return jwt.decode(
                token,
                public,
                algorithms=[ALGORITHM],
                audience=product,
                options={
                    "require": list(REQUIRED_CLAIMS),
                    "verify_exp": False,  # checked below against our own clock
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.InvalidAudienceError:
            raise LeaseRejected("the lease is for another product") from None
        except jwt.MissingRequiredClaimError as exc:
            raise LeaseRejected(f"the lease has no '{exc.claim}' claim") from None
        except jwt.PyJWTError:
            raise LeaseRejected("the lease is malformed") from None
    raise LeaseRejected("the lease's signature does not match a trusted key")


def _check_binding(claims: Mapping[str, Any], expected: Expected) -> None:
    if claims["aud"] != expected.product:
        raise LeaseRejected("the lease is for another product")
    if not _same(claims["machine"], expected.machine):
        raise LeaseRejected("the lease is for another machine")
    if expected.nonce is not None and not _same(claims["nonce"], expected.nonce):
        raise LeaseRejected("the lease answers another request (replayed or forged)")
    if expected.issuer is not None and claims["iss"] != expected.issuer:
        raise LeaseRejected("the lease comes from another server")


def _check_times(claims: Mapping[str, Any], expected: Expected) -> None:
    if not all(_is_int(claims[name]) for name in _TIME_CLAIMS):
        raise LeaseRejected("the lease's times are not whole seconds")
    if claims["exp"] < claims["iat"]:
        raise LeaseRejected("the lease ends before it starts")
    if expected.nonce is not None and claims["exp"] <= expected.now - expected.leeway:
        raise LeaseRejected(
            "the lease arrived already expired by this computer's clock; check the date and time"
        )


def _same(value: object, wanted: str) -> bool:
    return isinstance(value, str) and hmac.compare_digest(value.encode(), wanted.encode())


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _okp_keys(entries: Iterable[object]) -> Iterable[tuple[str, Ed25519PublicKey]]:
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("kty") != "OKP":
            continue
        if entry.get("crv") != "Ed25519" or entry.get("use", "sig") != "sig":
            continue
        try:
            public = jwt.PyJWK(dict(entry), algorithm=ALGORITHM).key
        except jwt.PyJWTError:
            raise ValueError("a JWKS entry is not a valid Ed25519 key") from None
        if isinstance(public, Ed25519PublicKey):
            yield str(entry.get("kid") or key_id(public)), public


def _jwk(kid: str, public: Ed25519PublicKey) -> dict[str, str]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64(_raw(public)),
        "kid": kid,
        "alg": ALGORITHM,
        "use": "sig",
    }


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
