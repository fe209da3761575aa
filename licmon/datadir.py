"""The data directory: database, signing keys and key pepper, all owner-only."""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from licmon.config import Settings
from licmon.errors import ConfigError
from licmon.signing import KeyRing, write_private_file

PEPPER_BYTES = 32


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def pepper_path(self) -> Path:
        return self.root / "pepper"

    @property
    def signing_dir(self) -> Path:
        return self.root / "signing"

    def ensure(self) -> "DataDir":
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.root, 0o700)
        except OSError as exc:
            raise ConfigError(
                f"data directory {self.root} cannot be created: {exc.strerror}"
            ) from None
        return self

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


def open_data_dir(settings: Settings) -> DataDir:
    return DataDir(settings.data_dir).ensure()
