"""What every console template may use, in the console and in the printable report file:
times in UTC, plurals, the report's charts."""

import jinja2

from licmon.timetext import day_of, when
from licmon.web.console.report_charts import license_charts


def plural(count: int, word: str, many: str = "") -> str:
    """``1 check-in``, ``3 check-ins``, ``2 countries`` (with ``many`` given)."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def add_helpers(env: jinja2.Environment) -> None:
    env.filters.update({"when": when, "day": day_of, "plural": plural})
    env.globals.update({"license_charts": license_charts})
