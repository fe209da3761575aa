"""TLS termination by licmon itself, for sites without a reverse proxy."""

import ssl
from pathlib import Path

from licmon.config import Settings
from licmon.errors import ConfigError

# TLS 1.2: forward secrecy (ECDHE) and AEAD (GCM, ChaCha20-Poly1305) only; no CBC, no RSA
# key exchange, no DHE.
TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!SHA1:!SHA256:!SHA384:!CBC"


def server_context(settings: Settings) -> ssl.SSLContext | None:
    """The server's TLS context when `tls_cert` and `tls_key` are set; None when neither is."""
    if not settings.tls_cert and not settings.tls_key:
        return None
    if not settings.tls_cert or not settings.tls_key:
        raise ConfigError("tls_cert and tls_key must be given together")
    cert, key = Path(settings.tls_cert), Path(settings.tls_key)
    for name, path in (("tls_cert", cert), ("tls_key", key)):
        if not path.is_file():
            raise ConfigError(f"{name} {path} is not a readable file")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(TLS12_CIPHERS)  # TLS 1.3's suites are all AEAD and stay as they are
    context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    try:
        # An encrypted key fails here instead of prompting on a terminal.
        context.load_cert_chain(cert, key, password=lambda: b"")
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or type(exc).__name__
        raise ConfigError(
            f"tls_cert {cert} and tls_key {key} cannot be used together ({reason})"
        ) from None
    return context
