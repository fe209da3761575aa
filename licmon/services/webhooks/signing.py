"""Standard Webhooks headers for one attempt, signed with the ``standardwebhooks`` package
(the specification's reference library): ``v1,`` and the base64 HMAC-SHA256 of
``id.timestamp.body``."""

import datetime

from standardwebhooks import Webhook


def signed_headers(secret: str, message_id: str, at: int, body: str) -> dict[str, str]:
    """The headers of an attempt made at ``at`` (Unix seconds); the id is the event's."""
    when = datetime.datetime.fromtimestamp(at, datetime.UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(at),
        "webhook-signature": Webhook(secret).sign(message_id, when, body),
        "content-type": "application/json",
    }
