"""The staff console's commands, registered on ``licmon`` together."""

from licmon.cli.report import report
from licmon.cli.staff import user

COMMANDS = (user, report)
