"""One `licmon serve` per data directory, and a way for `licmon restore` to know it runs.

The lock is an advisory ``flock`` on ``<data_dir>/serve.lock``, held for the server's life
and released by the kernel when the process ends, however it ends (even ``kill -9``).
"""

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from licmon.errors import ConfigError, Conflict

LOCK_NAME = "serve.lock"


@contextlib.contextmanager
def serving(data_dir: Path) -> Iterator[None]:
    """Hold the data directory's server lock; ConfigError when another server holds it."""
    fd = _open(data_dir)
    try:
        if not _try_lock(fd):
            raise ConfigError(f"another licmon serve is running on {data_dir}")
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for `licmon geoip reload` (SIGHUP)
        yield
    finally:
        os.close(fd)


def ensure_not_serving(data_dir: Path) -> None:
    """Conflict when a `licmon serve` runs on this data directory."""
    if not (data_dir / LOCK_NAME).exists():
        return
    fd = _open(data_dir)
    try:
        if not _try_lock(fd):
            raise Conflict(f"licmon serve is running on {data_dir}: stop it first")
    finally:
        os.close(fd)


def _open(data_dir: Path) -> int:
    return os.open(data_dir / LOCK_NAME, os.O_CREAT | os.O_RDWR, 0o600)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def server_pid(data_dir: Path) -> int | None:
    """The process id of the `licmon serve` holding this data directory's lock, if any."""
    if not (data_dir / LOCK_NAME).exists():
        return None
    fd = _open(data_dir)
    try:
        if _try_lock(fd):
            return None
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    finally:
        os.close(fd)
    return int(text) if text.isdigit() else None
