"""licmon webhook add | list | disable | enable | delete | deliveries | redeliver.

``add`` prints the endpoint's signing secret once: it is stored sealed and never shown
again (the receiver verifies deliveries with it, Standard Webhooks)."""

from pathlib import Path

import click

from licmon.cli.common import (
    ROW_ID,
    cli_actor,
    emit,
    json_option,
    make_settings,
    settings_options,
    with_store,
)
from licmon.datadir import open_data_dir
from licmon.domain.webhooks import EVENT_TYPES, DeliveryStatus
from licmon.services.webhooks.admin import add_endpoint
from licmon.services.webhooks.secrets import SecretBox
from licmon.services.webhooks.views import delivery_view, endpoint_view

ENDPOINT_COLUMNS = ("id", "url", "enabled", "events", "pending", "failed")
DELIVERY_COLUMNS = ("id", "event", "status", "attempts", "last_result", "next_attempt_at")


@click.group()
def webhook() -> None:
    """Webhook endpoints: signed events sent to the vendor's systems."""


@webhook.command("add")
@click.argument("url")
@click.option(
    "--event",
    "events",
    multiple=True,
    required=True,
    type=click.Choice(EVENT_TYPES),
    help="An event to send (repeat for several).",
)
@settings_options
@json_option
def add(
    url: str,
    events: tuple[str, ...],
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Send EVENTs to URL; prints the signing secret once."""
    settings = make_settings(config_file, data_dir=data_dir)
    box = SecretBox(open_data_dir(settings).pepper())
    endpoint, secret = with_store(
        settings,
        lambda s: add_endpoint(
            s, box, url, events, actor=cli_actor(), require_https=settings.webhook_require_https
        ),
    )
    emit({**endpoint_view(endpoint), "secret": secret}, as_json)
    if not as_json:
        click.echo("Keep the secret now: it is not shown again.", err=True)


@webhook.command("list")
@settings_options
@json_option
def list_command(config_file: Path | None, data_dir: Path | None, as_json: bool) -> None:
    """Endpoints, with their pending and failed (given up) deliveries."""
    settings = make_settings(config_file, data_dir=data_dir)
    endpoints = with_store(settings, lambda s: s.list_webhooks())
    emit([endpoint_view(e) for e in endpoints], as_json, ENDPOINT_COLUMNS)


def _switch(name: str, enabled: bool, help_text: str) -> None:
    @webhook.command(name, help=help_text)
    @click.argument("webhook_id", type=ROW_ID)
    @settings_options
    @json_option
    def switch(
        webhook_id: int, config_file: Path | None, data_dir: Path | None, as_json: bool
    ) -> None:
        settings = make_settings(config_file, data_dir=data_dir)
        endpoint = with_store(
            settings, lambda s: s.set_webhook_enabled(webhook_id, enabled, actor=cli_actor())
        )
        emit(endpoint_view(endpoint), as_json)


_switch("disable", False, "Stop sending to an endpoint (its pending deliveries wait).")
_switch("enable", True, "Send to a disabled endpoint again.")


@webhook.command("delete")
@click.argument("webhook_id", type=ROW_ID)
@click.option("--yes", "assume_yes", is_flag=True, help="Do not ask.")
@settings_options
def delete(
    webhook_id: int, assume_yes: bool, config_file: Path | None, data_dir: Path | None
) -> None:
    """Delete an endpoint and its deliveries."""
    if not assume_yes:
        click.confirm(f"Delete webhook {webhook_id} and its deliveries?", abort=True)
    settings = make_settings(config_file, data_dir=data_dir)
    with_store(settings, lambda s: s.delete_webhook(webhook_id, actor=cli_actor()))
    click.echo(f"deleted webhook {webhook_id}")


@webhook.command("deliveries")
@click.argument("webhook_id", type=ROW_ID)
@click.option("--status", type=click.Choice([s.value for s in DeliveryStatus]))
@click.option("--limit", type=click.IntRange(1, 10000), default=100, show_default=True)
@settings_options
@json_option
def deliveries(
    webhook_id: int,
    status: str | None,
    limit: int,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """An endpoint's deliveries, newest first."""
    settings = make_settings(config_file, data_dir=data_dir)
    wanted = None if status is None else DeliveryStatus(status)
    rows = with_store(
        settings, lambda s: s.list_webhook_deliveries(webhook_id, wanted, limit=limit)
    )
    emit([delivery_view(d) for d in rows], as_json, DELIVERY_COLUMNS)


@webhook.command("redeliver")
@click.argument("webhook_id", type=ROW_ID)
@click.argument("delivery_id", type=ROW_ID)
@settings_options
@json_option
def redeliver(
    webhook_id: int,
    delivery_id: int,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Send a delivery again, with the same webhook-id (the server's worker sends it)."""
    settings = make_settings(config_file, data_dir=data_dir)
    again = with_store(
        settings, lambda s: s.redeliver_webhook(webhook_id, delivery_id, actor=cli_actor())
    )
    emit(delivery_view(again), as_json)
