"""Endpoint signing secrets: made here, shown once, stored sealed.

The server signs every delivery with the endpoint's secret (HMAC-SHA256, Standard
Webhooks), so it must be able to read it back: a hash would not do. It is stored sealed
with AES-256-GCM under a key derived (HKDF-SHA256) from the pepper, which lives in the
data directory beside, not inside, the database: a copy of the database alone (a backup,
a stolen file) does not give up the secrets. Secrets are never logged nor listed.
"""

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from licmon.errors import ConfigError

PREFIX = "whsec_"  # the Standard Webhooks secret form
SECRET_BYTES = 32
NONCE_BYTES = 12
PURPOSE = b"licmon webhook endpoint secrets v1"


def new_secret() -> str:
    """``whsec_`` and 32 random bytes in base64, as receivers' libraries expect."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class SecretBox:
    def __init__(self, pepper: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(pepper)
        self._aead = AESGCM(key)

    def seal(self, secret: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, secret.encode(), PURPOSE)

    def open(self, sealed: bytes) -> str:
        try:
            plain = self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], PURPOSE)
        except InvalidTag:
            raise ConfigError(
                "a webhook secret cannot be opened: the pepper differs from the one it was "
                "sealed with"
            ) from None
        return plain.decode()
