"""What the client keeps on disk: the last valid lease, the server keys it pinned, and the
installation's lease chain (its secret and the id of the last lease it got).

Files are written atomically (temporary file, fsync, rename) and owner-only. A damaged or
unreadable file is ignored with a warning, never a crash: the client simply checks in again.
"""

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: instances of one program there do not share a chain
    fcntl = None  # type: ignore[assignment]

from licmon.client.lease import TrustedKeys

log = logging.getLogger("licmon.client")
FORMAT = 1
CHAIN_WAIT = 30.0  # seconds another instance's check-in may hold the chain


class ClientFiles:
    """``lease-<product>.json`` and ``trusted-keys-<product>.json`` in one directory."""

    def __init__(self, directory: Path, product: str, canonical_key: str) -> None:
        self.directory = directory
        self.lease_path = directory / f"lease-{product}.json"
        self.keys_path = directory / f"trusted-keys-{product}.json"
        self.chain_path = directory / f"chain-{product}.json"
        self.chain_lock = directory / f".chain-{product}.lock"
        self._key_tag = key_tag(canonical_key)

    @contextlib.asynccontextmanager
    async def chain_turn(self) -> AsyncIterator[None]:
        """Hold the chain while one check-in reads it, asks and writes it back (an advisory
        file lock, polled so that waiting never blocks the event loop)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.chain_lock, os.O_CREAT | os.O_RDWR, 0o600)
        except OSError as exc:
            log.warning("the lease chain cannot be locked: %s", exc.strerror)
            yield
            return
        try:
            await _lock(fd)
            yield
        finally:
            os.close(fd)  # releases the lock

    def read_chain(self) -> tuple[str, str | None] | None:
        """The installation's secret and the last lease id it got; None before the first."""
        data = _read_json(self.chain_path, "lease chain")
        if data is None:
            return None
        secret, last = data.get("installation"), data.get("last")
        if not isinstance(secret, str) or not (last is None or isinstance(last, str)):
            log.warning("the lease chain file is damaged and was ignored")
            return None
        return secret, last

    def write_chain(self, secret: str, last: str | None) -> None:
        """Kept apart from the lease: a denial or a release forgets the lease, never the chain."""
        self._write(self.chain_path, {"format": FORMAT, "installation": secret, "last": last},
                    "lease chain")  # fmt: skip

    def read_lease(self) -> str | None:
        """The saved lease token, when it was saved for this key; None otherwise."""
        data = _read_json(self.lease_path, "saved lease")
        if data is None:
            return None
        token = data.get("lease")
        if data.get("format") != FORMAT or not isinstance(token, str):
            log.warning("the saved lease file is damaged and was ignored")
            return None
        return token if data.get("key") == self._key_tag else None

    def write_lease(self, token: str) -> None:
        document = {"format": FORMAT, "key": self._key_tag, "lease": token}
        self._write(self.lease_path, document, "lease")

    def forget_lease(self) -> None:
        try:
            self.lease_path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("the saved lease could not be removed: %s", exc.strerror)

    def read_keys(self) -> TrustedKeys | None:
        data = _read_json(self.keys_path, "pinned server keys")
        if data is None:
            return None
        try:
            return TrustedKeys.from_jwks(data)
        except ValueError:
            log.warning("the pinned server keys file is damaged and was ignored")
            return None

    def write_keys(self, keys: TrustedKeys) -> None:
        self._write(self.keys_path, keys.to_jwks(), "server keys")

    def _write(self, path: Path, document: dict[str, Any], what: str) -> None:
        try:
            write_atomic(path, json.dumps(document).encode())
        except OSError as exc:
            log.warning("the %s could not be saved: %s", what, exc.strerror)


async def _lock(fd: int) -> None:
    if fcntl is None:
        return
    deadline = time.monotonic() + CHAIN_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                log.warning("another instance holds the lease chain; checking in anyway")
                return
            await asyncio.sleep(0.05)


def key_tag(canonical_key: str) -> str:
    """Which key a saved lease belongs to, without keeping the key."""
    return hashlib.sha256(b"licmon-client-lease\0" + canonical_key.encode()).hexdigest()[:32]


def write_atomic(path: Path, data: bytes) -> None:
    """Owner-only; a reader sees the old file or the new one, never half of either."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable where the platform allows it (not on Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _read_json(path: Path, what: str) -> dict[str, Any] | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("the %s file cannot be read (%s) and was ignored", what, exc.strerror)
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        log.warning("the %s file is damaged and was ignored", what)
        return None
    return data
