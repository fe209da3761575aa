"""Endpoint secrets: Standard Webhooks form, sealed under the pepper, unreadable under
another; signatures that the reference verifier accepts."""

import base64
import time

import pytest
from standardwebhooks import Webhook

from licmon.errors import ConfigError
from licmon.services.webhooks.secrets import SecretBox, new_secret
from licmon.services.webhooks.signing import signed_headers


def test_a_secret_is_whsec_and_32_random_bytes() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first[6:])) == 32


def test_a_sealed_secret_opens_under_its_pepper_only() -> None:
    secret = new_secret()
    sealed = SecretBox(b"p" * 32).seal(secret)
    assert secret.encode() not in sealed and secret[6:].encode() not in sealed
    assert SecretBox(b"p" * 32).open(sealed) == secret
    assert SecretBox(b"p" * 32).seal(secret) != sealed  # a fresh nonce each time
    with pytest.raises(ConfigError, match="pepper"):
        SecretBox(b"q" * 32).open(sealed)


def test_signed_headers_verify_with_the_reference_library() -> None:
    secret, now, body = new_secret(), int(time.time()), '{"type":"flag.raised"}'
    headers = signed_headers(secret, "msg_1", now, body)
    assert headers["webhook-id"] == "msg_1" and headers["webhook-timestamp"] == str(now)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == {"type": "flag.raised"}
    with pytest.raises(Exception, match="signature"):
        Webhook(new_secret()).verify(body, headers)
