"""licmon org place: an organization's declared networks (offices, VPN egresses), which the
detectors do not count as spread, travel or clones."""

from pathlib import Path

import click

from licmon.cli.common import (
    cli_actor,
    emit,
    json_option,
    make_settings,
    settings_options,
    with_store,
)
from licmon.cli.paging import emit_page, page_of, paging_options
from licmon.domain.detectors.known import PLACE_KINDS, KnownPlace


@click.group("place")
def place() -> None:
    """Declared networks of an organization (its offices and VPN egresses)."""


@place.command("add")
@click.argument("org")
@click.argument("network")
@click.option("--kind", type=click.Choice(PLACE_KINDS), default="office", show_default=True)
@click.option("--label", default="", help="What the network is (e.g. 'Vienna office').")
@settings_options
@json_option
def place_add(
    org: str,
    network: str,
    kind: str,
    label: str,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Declare NETWORK (CIDR) as a known place of ORG (audited)."""
    settings = make_settings(config_file, data_dir=data_dir)
    added = with_store(
        settings, lambda s: s.add_place(org, network, kind, label, actor=cli_actor())
    )
    emit(_view(added), as_json)


@place.command("remove")
@click.argument("org")
@click.argument("network")
@settings_options
def place_remove(org: str, network: str, config_file: Path | None, data_dir: Path | None) -> None:
    """Withdraw a declared NETWORK of ORG (audited)."""
    settings = make_settings(config_file, data_dir=data_dir)
    with_store(settings, lambda s: s.remove_place(org, network, actor=cli_actor()))
    click.echo(f"removed {network} from {org}")


@place.command("list")
@click.argument("org", required=False)
@paging_options()
@settings_options
@json_option
def place_list(
    org: str | None,
    limit: int,
    offset: int,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """The declared networks of ORG (or of every organization)."""
    settings = make_settings(config_file, data_dir=data_dir)
    places = with_store(settings, lambda s: s.list_places(org))
    listed = page_of([_view(p) for p in places], limit, offset)
    emit_page(listed, as_json, ("org_id", "network", "kind", "label"))


def _view(p: KnownPlace) -> dict[str, object]:
    return {"org_id": p.org_id, "network": p.network, "kind": p.kind, "label": p.label}
