"""licmon store copy: move an existing SQLite installation to PostgreSQL."""

import dataclasses
import importlib
import time
from pathlib import Path
from typing import Any

import click

from licmon.app import open_store, prepare_store
from licmon.cli.common import (
    cli_actor,
    emit,
    json_option,
    make_settings,
    settings_options,
    with_store,
)
from licmon.cli.identity import actor_of, offered_token, token_option
from licmon.cli.progress import working
from licmon.config import Settings
from licmon.coroutines import run_coroutine
from licmon.domain.audit import AuditEntry
from licmon.errors import ConfigError
from licmon.serverlock import ensure_not_serving

URL_SCHEMES = ("postgresql://", "postgres://")


@click.group("store")
def store_group() -> None:
    """The database itself: `licmon store copy --to postgresql://...`."""


@store_group.command("copy")
@click.option(
    "--to",
    "url",
    required=True,
    metavar="URL",
    help="An empty PostgreSQL database, e.g. postgresql://licmon@db.example/licmon.",
)
@token_option
@settings_options
@json_option
def store_copy(
    url: str,
    token_file: Path | None,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Copy every table of this installation's SQLite database into an empty PostgreSQL
    database, in one transaction, and verify it there (row counts, the audit chain). The
    server must be stopped; afterwards point database_url at the copy."""
    if not url.startswith(URL_SCHEMES):
        raise ConfigError("--to takes a postgresql:// URL")
    settings = make_settings(config_file, data_dir=data_dir)
    source = dataclasses.replace(settings, database_url="")
    target = dataclasses.replace(settings, database_url=url)
    ensure_not_serving(settings.data_dir)
    actor = with_store(source, lambda s: actor_of(s, offered_token(token_file), cli_actor()))
    prepare_store(target)  # the schema, and this node's pepper recorded in the target
    copying = importlib.import_module("licmon.store.postgres.from_sqlite")
    with working("store copy") as job:
        copied = copying.copy_sqlite(settings.database_path, url, None, _ticker(job))
        job.done(f"{len(copied.tables)} tables, {copied.rows:,} rows")
    checked = run_coroutine(lambda: _verify_and_record(target, actor, copied.rows))
    emit(
        {
            "tables": len(copied.tables),
            "rows": copied.rows,
            "audit_entries": checked,
            "audit_verified": True,
        },
        as_json,
    )


def _ticker(job: Any) -> Any:
    def show(text: str) -> None:
        job.name = f"store copy: {text}"

    return show


async def _verify_and_record(target: Settings, actor: str, rows: int) -> int:
    """Open the copy as licmon will, prove its audit chain, and log the copy in it."""
    store = open_store(target)
    await store.open()
    try:
        count, broken = await store.audit_verify()
        if broken is not None:
            raise ConfigError(f"the copy's audit log does not verify at entry {broken.id}")
        details = {"rows": rows, "audit_entries": count}
        await store.audit_record(
            AuditEntry(int(time.time()), actor, "store.copy", "database", "ok", details)
        )
        return int(count)
    finally:
        await store.close()
