"""Owner-only files in the data directory: secrets made once on first use, and logs that
only grow (appended under a lock and synced)."""

import fcntl
import os
import secrets
from pathlib import Path

from licmon.errors import ConfigError
from licmon.signing import write_private_file


def secret_bytes(path: Path, size: int, *, create: bool = True) -> bytes:
    """The ``size``-byte secret at ``path``; made when missing (unless ``create`` is off)."""
    if not path.exists():
        if not create:
            raise ConfigError(f"secret {path} is missing")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private_file(path, secrets.token_bytes(size))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"secret {path} cannot be read: {exc.strerror}") from None
    if len(data) != size:
        raise ConfigError(f"secret {path} is damaged")
    return data


def append_synced(path: Path, line: bytes) -> None:
    """Append ``line`` owner-only under an exclusive lock and sync it before returning."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
