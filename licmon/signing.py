"""Ed25519 signing keys, the JWKS that publishes them, and lease tokens.

Keys live in ``<data_dir>/signing/<kid>.pem`` (owner-only). The newest key signs; every key
in the folder is published, so a rotated-out key keeps verifying the leases it issued.
"""

import asyncio
import base64
import contextlib
import functools
import hashlib
import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.bindings import crypto_sign, crypto_sign_BYTES, crypto_sign_seed_keypair

from licmon.errors import ConfigError

ALGORITHM = "EdDSA"
# Leases handed to the signer's thread a few at a time: the first answers go out while
# the rest of a committed batch is still being signed (the loop would otherwise wait).
SIGN_CHUNK = 8


@dataclass(frozen=True)
class SigningKey:
    """``private`` is the key as read and written (PEM, by ``cryptography``); leases are
    signed with the same key by libsodium, which makes the same signature (Ed25519 is
    deterministic) in two thirds of the time and lets go of the GIL while it signs."""

    kid: str
    private: Ed25519PrivateKey
    created: float

    @functools.cached_property
    def _sodium(self) -> bytes:
        """libsodium's secret key; not a field: no ``repr``, ``asdict`` or ``astuple`` of
        the key shows it."""
        seed = self.private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return bytes(crypto_sign_seed_keypair(seed)[1])

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS, byte for byte what PyJWT's ``jwt.encode`` writes (Ed25519 is
        deterministic), without its per-call work: the header segment is made once."""
        signing_input = _jws_header(self.kid) + b"." + _b64_bytes(_claims_json(claims))
        signature = _b64_bytes(crypto_sign(signing_input, self._sodium)[:crypto_sign_BYTES])
        return (signing_input + b"." + signature).decode("ascii")


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
        return self._current.sign(claims)

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
    """Write a secret owner-only, atomically: no reader ever sees a partial file. The
    temporary file is new (``mkstemp``: exclusive, 0600, never through a link), so a file
    or link planted in the directory is neither reused nor followed; the final rename
    replaces a link at ``path`` instead of writing through it."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def _read_key(path: Path) -> SigningKey:
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"signing key {path} cannot be read: {type(exc).__name__}") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise ConfigError(f"signing key {path} is not an Ed25519 key")
    return SigningKey(key_id(private.public_key()), private, path.stat().st_mtime)


def _b64(raw: bytes) -> str:
    return _b64_bytes(raw).decode("ascii")


def _b64_bytes(raw: bytes) -> bytes:
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


@functools.lru_cache(maxsize=64)
def _jws_header(kid: str) -> bytes:
    """PyJWT's header: sorted keys, no spaces."""
    header = {"alg": ALGORITHM, "kid": kid, "typ": "JWT"}
    return _b64_bytes(json.dumps(header, separators=(",", ":"), sort_keys=True).encode())


def _claims_json(claims: dict[str, Any]) -> bytes:
    """The claims as PyJWT writes them: insertion order, no spaces, ASCII escapes."""
    return json.dumps(claims, separators=(",", ":")).encode()


class BatchSigner:
    """Signs leases on a thread of its own, ``SIGN_CHUNK`` at a time.

    libsodium's Ed25519 signing releases the GIL, so the leases are signed on the second
    core while the event loop goes on parsing requests and sending the answers of the
    chunks already signed; one hand-off per chunk, not per lease.
    """

    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="licmon-signer")
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[str]]] = []

    def sign(self, claims: dict[str, Any]) -> "asyncio.Future[str]":
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._flush)
        self._waiting.append((claims, future))
        return future

    def _flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        loop = asyncio.get_running_loop()
        for start in range(0, len(waiting), SIGN_CHUNK):
            batch = waiting[start : start + SIGN_CHUNK]
            done = loop.run_in_executor(
                self._thread, self._sign_all, [claims for claims, _ in batch]
            )
            done.add_done_callback(functools.partial(_deliver, batch))

    def _sign_all(self, batch: list[dict[str, Any]]) -> list[str]:
        return [self._ring.sign(claims) for claims in batch]

    def close(self) -> None:
        self._thread.shutdown(wait=True)


def _deliver(
    batch: list[tuple[dict[str, Any], "asyncio.Future[str]"]], result: "asyncio.Future[list[str]]"
) -> None:
    error = result.exception()
    tokens = result.result() if error is None else [None] * len(batch)
    for (_, future), token in zip(batch, tokens, strict=True):
        if future.done():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(token)  # type: ignore[arg-type]
