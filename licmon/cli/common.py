"""What every command shares: settings options, the store, output, and errors as one line."""

import json
import os
import pwd
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from licmon.app import open_store
from licmon.auditing import seal_now
from licmon.config import Settings, load_settings
from licmon.coroutines import run_coroutine
from licmon.domain.ids import MAX_ID
from licmon.errors import LicmonError
from licmon.store.audit_seal import AuditSeal
from licmon.store.base import Store
from licmon.timetext import iso

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
ROW_ID = click.IntRange(1, MAX_ID)  # a row id; past SQLite's INTEGER it is an OverflowError


EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a reader that went away


def _quiet_stdout() -> None:
    """The reader (``| head``) left: point stdout at /dev/null so that the interpreter's
    last flush finds nowhere to fail (Python's documented recipe for SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


class LicmonGroup(click.Group):
    """Turns every licmon error into one plain line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe shows here, not at exit
            return result
        except BrokenPipeError:
            _quiet_stdout()
            raise SystemExit(EXIT_BROKEN_PIPE) from None
        except LicmonError as exc:
            raise click.ClickException(exc.message) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("LICMON_DEBUG"):
                raise
            raise click.ClickException(
                f"unexpected {type(exc).__name__}; run with LICMON_DEBUG=1 for details"
            ) from None


def settings_options(func: F) -> F:
    """--config and --data-dir, on every command that reads settings."""
    func = click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Data directory (database, keys). [env: LICMON_DATA_DIR]",
    )(func)
    func = click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="TOML settings file. [env: LICMON_CONFIG]",
    )(func)
    return func


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


def make_settings(config_file: Path | None, **overrides: Any) -> Settings:
    return load_settings(config_file, overrides=overrides)


def with_store(settings: Settings, action: Callable[[Store], Awaitable[T]]) -> T:
    """Run ``action`` on an open store, then checkpoint the audit log it may have extended."""

    async def run() -> T:
        store = open_store(settings)
        await store.open()
        try:
            result = await action(store)
            await _seal(store, settings)
            return result
        finally:
            await store.close()

    return run_coroutine(run)


async def _seal(store: Store, settings: Settings) -> None:
    try:
        await seal_now(store, AuditSeal.beside(settings.database_path), time.time())
    except OSError as exc:
        click.echo(f"Warning: the audit checkpoint was not written ({exc.strerror})", err=True)
    except LicmonError as exc:
        click.echo(f"Warning: the audit checkpoint was not written ({exc.message})", err=True)


def emit(data: Any, as_json: bool, columns: Sequence[str] = ()) -> None:
    """JSON, or a plain table (for lists) or key: value lines (for one object)."""
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif isinstance(data, list):
        _table(data, columns)
    else:
        for name, value in data.items():
            click.echo(f"{name}: {_cell(value, name)}")


def _table(rows: list[dict[str, Any]], columns: Sequence[str]) -> None:
    if not rows:
        click.echo("(none)")
        return
    columns = columns or list(rows[0])
    cells = [[_cell(row.get(c), c) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _is_time(column: str) -> bool:
    """Columns holding epoch seconds, printed for people as ISO 8601 UTC."""
    return column == "at" or column.endswith(("_at", "_until", "_seen"))


def _cell(value: Any, column: str = "") -> str:
    if value is None:
        return "-"
    if _is_time(column) and isinstance(value, int) and not isinstance(value, bool):
        return iso(value)
    if isinstance(value, list | tuple):
        return ",".join(map(str, value)) or "-"
    return str(value)


def cli_actor() -> str:
    """The operating-system user running the command line, as the audit log names it."""
    try:
        name = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        name = str(os.getuid())
    return f"cli:{name}"


def fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)
