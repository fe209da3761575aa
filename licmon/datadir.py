"""The data directory: database, signing keys and key pepper, all owner-only.

Once initialized (the ``initialized`` marker), a missing or emptied secret or database is
never silently made anew: a new pepper orphans every license key, a new signing key every
lease. ``licmon init`` (or ``serve`` on an empty directory) is the only creator.
"""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from licmon.config import Settings
from licmon.errors import ConfigError
from licmon.signing import KeyRing, write_private_file

PEPPER_BYTES = 32
MARKER = "initialized"


@dataclass(frozen=True)
class RequiredFile:
    """A file an initialized data directory must hold (a glob: at least one non-empty)."""

    pattern: str
    what: str
    if_lost: str


REQUIRED_FILES = (
    RequiredFile("licmon.db", "database", "every license, seat and log row"),
    RequiredFile("pepper", "key pepper", "every license key (all would answer invalid_key)"),
    RequiredFile("signing/*.pem", "signing key", "trust in every lease already issued"),
)


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def pepper_path(self) -> Path:
        return self.root / "pepper"

    @property
    def signing_dir(self) -> Path:
        return self.root / "signing"

    @property
    def marker_path(self) -> Path:
        return self.root / MARKER

    def ensure(self) -> "DataDir":
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.root, 0o700)
        except OSError as exc:
            raise ConfigError(
                f"data directory {self.root} cannot be created: {exc.strerror}"
            ) from None
        return self

    @property
    def initialized(self) -> bool:
        """Marked by ``licmon init`` or a first ``serve`` (directories from before the marker
        get it at their next start)."""
        return self.marker_path.exists()

    def verify(self, *, embedded_database: bool = True) -> None:
        """ConfigError naming the first required file missing or empty, and what to do
        (a node on PostgreSQL, ``embedded_database=False``, keeps no database file)."""
        for required in REQUIRED_FILES:
            if required is REQUIRED_FILES[0] and not embedded_database:
                continue
            if not _present(self.root, required):
                raise ConfigError(
                    f"{required.what} {self.root / required.pattern} is missing or empty in the "
                    f"initialized data directory {self.root}: restore it from a backup "
                    f"(`licmon init` would make a new one and lose {required.if_lost})"
                )

    def mark_initialized(self) -> None:
        if not self.marker_path.exists():
            write_private_file(self.marker_path, b"licmon data directory\n")

    def pepper(self) -> bytes:
        """The secret behind every key hash; made once. Losing it orphans every key."""
        if not self.pepper_path.exists():
            write_private_file(self.pepper_path, secrets.token_bytes(PEPPER_BYTES))
        pepper = self.pepper_path.read_bytes()
        if len(pepper) != PEPPER_BYTES:
            raise ConfigError(f"key pepper {self.pepper_path} is damaged")
        return pepper

    def keyring(self) -> KeyRing:
        return KeyRing.load(self.signing_dir)


def _present(root: Path, required: RequiredFile) -> bool:
    return any(path.is_file() and path.stat().st_size > 0 for path in root.glob(required.pattern))


def open_data_dir(settings: Settings) -> DataDir:
    return DataDir(settings.data_dir).ensure()


def open_initialized(settings: Settings) -> DataDir:
    """The data directory, refused when it was initialized and lost a required file."""
    directory = open_data_dir(settings)
    if directory.initialized:
        directory.verify(embedded_database=not settings.database_url)
    return directory
