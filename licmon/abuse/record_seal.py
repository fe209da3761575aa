"""Detector records are sealed before they reach the database: AES-GCM under a key derived
from the pepper, which every node holds and the database never does. What the nodes share
(networks, places, machines) is readable by the nodes alone, not by a database role, a
backup of the database or its administrator."""

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from licmon.domain.purposes import ABUSE

INFO = b"licmon detector records v1"
NONCE_BYTES = 12


class RecordSeal:
    def __init__(self, pepper: bytes) -> None:
        key = HKDF(hashes.SHA256(), 32, salt=None, info=INFO).derive(pepper)
        self._aead = AESGCM(key)
        self._purpose = ABUSE.encode()

    def seal(self, text: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        box = self._aead.encrypt(nonce, text.encode(), self._purpose)
        return base64.b64encode(nonce + box).decode()

    def open(self, sealed: str) -> str | None:
        """The record, or None when it was not sealed with this pepper (or was altered)."""
        try:
            raw = base64.b64decode(sealed, validate=True)
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._purpose)
        except (InvalidTag, ValueError, binascii.Error):
            return None
        return plain.decode()
