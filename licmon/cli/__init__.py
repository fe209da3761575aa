"""The licmon command. Thin: parse, call, print."""

import click

from licmon import __version__
from licmon.cli.activation_cmd import activation
from licmon.cli.catalog import license_group, org, product
from licmon.cli.client_cmd import checkin
from licmon.cli.common import LicmonGroup
from licmon.cli.console_cli import COMMANDS as CONSOLE_COMMANDS
from licmon.cli.demo import demo
from licmon.cli.flags_cmd import flags
from licmon.cli.geoip_cmd import geoip
from licmon.cli.health_cmd import healthcheck
from licmon.cli.ops import backup_command, restore_command
from licmon.cli.places_cmd import place
from licmon.cli.privacy import audit, dsr, hold, org_export_command, retention
from licmon.cli.server import config_command, init, serve
from licmon.cli.simulate_cmd import simulate
from licmon.cli.store_cmd import store_group


@click.group(cls=LicmonGroup)
@click.version_option(__version__, prog_name="licmon")
def main() -> None:
    """licmon: license server with signed leases, abuse detection and purpose-bound IP logs."""


for command in (init, serve, config_command, org, product, license_group):
    main.add_command(command)
for command in (backup_command, restore_command):
    main.add_command(command)
for command in (retention, dsr, hold, audit):
    main.add_command(command)
org_export_command(org)
org.add_command(place)  # known places (issue 15)
main.add_command(checkin)
main.add_command(activation)  # air-gapped licenses (issue 14)
main.add_command(demo)
main.add_command(healthcheck)
for command in (flags, geoip, simulate):  # abuse detection (issue 5)
    main.add_command(command)
for command in CONSOLE_COMMANDS:  # user, report (staff console)
    main.add_command(command)
main.add_command(store_group)  # store copy --to postgresql:// (issue 12)
