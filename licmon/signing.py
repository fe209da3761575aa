"""Ed25519 signing keys, the JWKS that publishes them, and lease tokens.

Keys live in ``<data_dir>/signing/<kid>.pem`` (owner-only). The newest key signs; every key
in the folder is published, so a rotated-out key keeps verifying the leases it issued.
"""

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from licmon.errors import ConfigError

ALGORITHM = "EdDSA"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: Ed25519PrivateKey
    created: float

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _b64(hashlib.sha256(raw).digest()[:12])


def public_jwk(public: Ed25519PublicKey) -> dict[str, str]:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64(raw),
        "kid": key_id(public),
        "alg": ALGORITHM,
        "use": "sig",
    }


class KeyRing:
    def __init__(self, keys: list[SigningKey]) -> None:
        if not keys:
            raise ConfigError("no signing key")
        self._keys = sorted(keys, key=lambda k: k.created)
        self._current = self._keys[-1]
        self._jwks = {"keys": [public_jwk(k.public) for k in self._keys]}

    @property
    def current(self) -> SigningKey:
        return self._current

    def jwks(self) -> dict[str, Any]:
        return self._jwks

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims, self._current.private, algorithm=ALGORITHM, headers={"kid": self._current.kid}
        )

    @classmethod
    def load(cls, folder: Path) -> "KeyRing":
        """Every key in the folder; a first key is made when there is none."""
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        keys = [_read_key(path) for path in sorted(folder.glob("*.pem"))]
        return cls(keys or [generate_key(folder)])


def generate_key(folder: Path) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    kid = key_id(private.public_key())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = folder / f"{kid}.pem"
    write_private_file(path, pem)
    return SigningKey(kid, private, path.stat().st_mtime)


def write_private_file(path: Path, data: bytes) -> None:
    """Write a secret owner-only, atomically: no reader ever sees a partial file."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(temporary, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _read_key(path: Path) -> SigningKey:
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"signing key {path} cannot be read: {type(exc).__name__}") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise ConfigError(f"signing key {path} is not an Ed25519 key")
    return SigningKey(key_id(private.public_key()), private, path.stat().st_mtime)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
