"""What staff do with webhooks, shared by the admin API and the CLI: an endpoint is added
with checked URL and events and a fresh secret, which is returned once and stored sealed."""

from collections.abc import Iterable

from licmon.domain.webhooks import WebhookEndpoint, check_events, check_url
from licmon.services.webhooks.secrets import SecretBox, new_secret
from licmon.store.base import Store


async def add_endpoint(
    store: Store,
    box: SecretBox,
    url: str,
    events: Iterable[object],
    *,
    actor: str,
    require_https: bool,
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its secret (shown to the caller once, never again)."""
    checked_url = check_url(url, require_https=require_https)
    names = check_events(events)
    secret = new_secret()
    endpoint = await store.add_webhook(checked_url, names, box.seal(secret), actor=actor)
    return endpoint, secret
