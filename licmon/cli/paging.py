"""``--limit`` and ``--offset`` on every listing command, as the console pages: the rows of
one page, and on stderr where they sit in the whole list ("showing 1-100 of 1,506")."""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from licmon.cli.common import emit
from licmon.domain.paging import Listed, PageRequest

F = TypeVar("F", bound=Callable[..., Any])
MOST = 100_000


def paging_options(default: int = 100) -> Callable[[F], F]:
    def wrap(command: F) -> F:
        command = click.option(
            "--offset",
            type=click.IntRange(0, 10**9),
            default=0,
            show_default=True,
            help="Skip this many rows first (the next page: --offset plus --limit).",
        )(command)
        return click.option(
            "--limit",
            type=click.IntRange(1, MOST),
            default=default,
            show_default=True,
            help="Show at most this many rows.",
        )(command)

    return wrap


def page_of(rows: Sequence[Any], limit: int, offset: int) -> Listed[Any]:
    """One page of a list read whole."""
    return Listed(rows[offset : offset + limit], len(rows), PageRequest(offset, limit))


def emit_page(listed: Listed[Any], as_json: bool, columns: Sequence[str] = ()) -> None:
    emit(list(listed.rows), as_json, columns)
    if listed.page.offset or listed.next_offset is not None:
        more = f"; --offset {listed.next_offset} for more" if listed.next_offset else ""
        click.echo(f"{listed.summary}{more}", err=True)
