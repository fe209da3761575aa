"""The licmon command. Thin: parse, call, print."""

import click

from licmon import __version__
from licmon.cli.catalog import license_group, org, product
from licmon.cli.common import LicmonGroup
from licmon.cli.server import config_command, init, serve


@click.group(cls=LicmonGroup)
@click.version_option(__version__, prog_name="licmon")
def main() -> None:
    """licmon: license server with signed leases, abuse detection and purpose-bound IP logs."""


for command in (init, serve, config_command, org, product, license_group):
    main.add_command(command)
