"""Whole-number license terms on the command line, within the limits the admin API and the
store apply (``domain.terms.INT_LIMITS``, the license models' from ``domain.node_locks``):
one table, and a value outside it is one plain line and exit 1."""

from collections.abc import Callable
from typing import Any, TypeVar

import click

from licmon.domain.node_locks import whole_number_rule
from licmon.domain.terms import INT_LIMITS

F = TypeVar("F", bound=Callable[..., Any])


class TermNumber(click.ParamType[int]):
    """A whole number within the limits of the license term ``term``."""

    name = "integer"

    def __init__(self, term: str) -> None:
        self.term = term
        self.limits = INT_LIMITS[term]

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        option = param.opts[0] if param is not None and param.opts else self.term
        try:
            number = int(str(value).strip())
        except ValueError:
            number = None
        low, high = self.limits
        if number is None or not low <= number <= high:
            raise click.ClickException(f"{option} must be {whole_number_rule(self.limits)}.")
        return number


def term_option(term: str, help_text: str = "", **options: Any) -> Callable[[F], F]:
    """``--the-term``, an integer in its table's range (shown in the help)."""
    low, high = INT_LIMITS[term]
    shown = f"{help_text} [{low}-{high}]".strip()
    flag = "--" + term.replace("_", "-")
    return click.option(flag, term, type=TermNumber(term), help=shown, **options)
