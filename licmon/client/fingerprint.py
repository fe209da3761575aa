"""A machine fingerprint that is stable across restarts and sends no raw hardware identifier.

The platform's own machine identifier is read locally — ``/etc/machine-id`` on Linux (or
D-Bus's copy), ``MachineGuid`` on Windows, ``IOPlatformUUID`` on macOS — and only
``HMAC-SHA256(namespace, identifier)`` leaves the computer, the way systemd advises using
machine-id (an application-specific hash). Different namespaces (by default, one per product)
give unrelated values, and no value can be turned back into the identifier.

When the platform offers none (some containers), a random identifier is made once and kept,
owner-only, in ``fallback_dir``; with no directory either, the network card's address or the
host name is hashed instead.
"""

import hashlib
import hmac
import re
import secrets
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from licmon.client.cache import write_atomic

if sys.platform == "win32":
    import winreg

PREFIX = "m1-"
LINUX_IDS = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))
FALLBACK_FILE = "machine-id"
_MAC_UUID = re.compile(rb'"IOPlatformUUID"\s*=\s*"([0-9A-Fa-f-]{36})"')


def machine_fingerprint(
    namespace: str = "licmon",
    *,
    fallback_dir: Path | None = None,
    platform_id: Callable[[], bytes | None] | None = None,
) -> str:
    """``m1-`` and 32 hex characters (128 bits), the same on every call on this computer."""
    raw = (platform_id or platform_machine_id)()
    if not raw and fallback_dir is not None:
        raw = _kept_random_id(fallback_dir)
    return fingerprint_of(raw or _last_resort_id(), namespace)


def fingerprint_of(raw: bytes, namespace: str) -> str:
    digest = hmac.new(namespace.encode(), raw, hashlib.sha256).hexdigest()
    return PREFIX + digest[:32]


def platform_machine_id() -> bytes | None:
    if sys.platform == "win32":
        return _windows_id()
    if sys.platform == "darwin":
        return _mac_id()
    return next(filter(None, (_read_id(path) for path in LINUX_IDS)), None)


def _read_id(path: Path) -> bytes | None:
    try:
        value = path.read_bytes().strip()
    except OSError:
        return None
    return value if len(value) >= 16 and set(value) != {ord("0")} else None


def _windows_id() -> bytes | None:
    if sys.platform == "win32":
        try:
            with winreg.OpenKey(
                winreg.HKEY_LOCAL_MACHINE,
                r"SOFTWARE\Microsoft\Cryptography",
                0,
                winreg.KEY_READ | winreg.KEY_WOW64_64KEY,
            ) as key:
                value, _ = winreg.QueryValueEx(key, "MachineGuid")
        except OSError:
            return None
        return str(value).encode() or None
    return None


def _mac_id() -> bytes | None:
    try:
        output = subprocess.run(  # a fixed command, no input from anyone
            ["/usr/sbin/ioreg", "-rd1", "-c", "IOPlatformExpertDevice"],
            capture_output=True,
            timeout=5,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = _MAC_UUID.search(output)
    return match.group(1) if match else None


def _kept_random_id(directory: Path) -> bytes | None:
    path = directory / FALLBACK_FILE
    kept = _read_id(path)
    if kept:
        return kept
    fresh = secrets.token_hex(16).encode()
    try:
        write_atomic(path, fresh)
    except OSError:
        return None
    return fresh


def _last_resort_id() -> bytes:
    node = uuid.getnode()
    if not node >> 40 & 1:  # a real network card address, not a random stand-in
        return f"mac:{node:012x}".encode()
    return f"host:{socket.gethostname()}".encode()
