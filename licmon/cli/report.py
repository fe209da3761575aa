"""licmon report abuse: the console's abuse report from the command line (as operator)."""

import time
from pathlib import Path

import click

from licmon import reports
from licmon.cli.common import cli_actor, make_settings, settings_options, with_store
from licmon.cli.identity import actor_of, offered_token, token_option
from licmon.domain.reports import FORMATS, AbuseReport, parse_since
from licmon.errors import NotFound
from licmon.signing import write_private_file
from licmon.store.base import Store


@click.group()
def report() -> None:
    """Reports for compliance staff."""


@report.command("abuse")
@click.option("--since", default="30d", show_default=True, help="Period: 12h, 30d, 2w ...")
@click.option("--org", help="Only this organization (slug).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE.")
@token_option
@settings_options
def abuse(
    since: str,
    org: str | None,
    fmt: str,
    out: Path | None,
    token_file: Path | None,
    config_file: Path | None,
    data_dir: Path | None,
) -> None:
    """Licenses flagged in the period: flags, seat use, countries, suggested action.
    Holds no address and no flag evidence."""
    now = int(time.time())
    start = parse_since(since, now)

    token = offered_token(token_file)

    async def build(store: Store) -> AbuseReport:
        scope = await _org_scope(store, org)
        actor = await actor_of(store, token, cli_actor())
        return await reports.abuse_report(store, start, now, scope, detailed=True, actor=actor)

    body = reports.render(with_store(make_settings(config_file, data_dir=data_dir), build), fmt)
    if out is None:
        click.echo(body.decode(), nl=False)
        return
    write_private_file(out, body)
    click.echo(f"written to {out}", err=True)


async def _org_scope(store: Store, slug: str | None) -> tuple[int, str] | None:
    if slug is None:
        return None
    found = next((o for o in await store.list_orgs() if o.slug == slug), None)
    if found is None:
        raise NotFound(f"No organization '{slug[:40]}'.")
    return found.id, found.slug
