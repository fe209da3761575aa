"""licmon backup [create] | backup prune | restore."""

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click

from licmon.app import open_store
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
from licmon.datadir import DataDir
from licmon.domain.audit import AuditEntry
from licmon.errors import ConfigError, NotFound
from licmon.restoring import RestorePreparation
from licmon.secretfile import secret_bytes
from licmon.serverlock import ensure_not_serving
from licmon.store.audit_seal import AuditSeal
from licmon.store.base import Store
from licmon.store.sqlite import backup as backups

BACKUP_KEY_NAME = "backup.key"
DAY = 86400
MAX_BACKUP_DAYS = 3650
SECRETS_NOTE = (
    "The backup is encrypted with {data_dir}/backup.key; the key pepper, signing keys, "
    "audit seal key and erasure ledger are not in it: keep {data_dir}/backup.key, pepper, "
    "signing/, audit-seal.key, audit-checkpoints.jsonl and erasure-ledger.* backed up apart "
    "from it."
)


class BackupGroup(click.Group):
    """``licmon backup DEST`` makes a backup; ``licmon backup prune`` is a subcommand."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["create", *args]
        return super().resolve_command(ctx, args)


def embedded_only(settings: Settings, what: str) -> None:
    """backup and restore copy the embedded SQLite file; PostgreSQL has its own tools."""
    if settings.database_url:
        raise ConfigError(
            f"{what} works on the embedded SQLite database; with database_url set, back "
            "PostgreSQL up with its own tools (pg_dump, or base backups and WAL archiving)"
        )


def backup_key(settings: Settings, key_file: Path | None = None, *, create: bool = True) -> bytes:
    """The backup key of the data directory (made on first use), or the one in key_file."""
    if key_file is not None:
        return secret_bytes(key_file, 32, create=False)
    path = settings.data_dir / BACKUP_KEY_NAME
    if not create and not path.exists():
        raise ConfigError(f"no backup key at {path}: pass the one the backup used with --key-file")
    return secret_bytes(path, 32)


def keep_seconds(settings: Settings) -> int:
    """How long a backup may be kept (``backup_retention_days``, checked)."""
    days = settings.backup_retention_days
    if not 1 <= days <= MAX_BACKUP_DAYS:
        raise ConfigError(f"backup_retention_days must be 1-{MAX_BACKUP_DAYS}, not {days}")
    return days * DAY


def sealing(settings: Settings, key: bytes) -> backups.Sealing:
    now = int(time.time())
    return backups.Sealing(key, now, now + keep_seconds(settings))


@click.group("backup", cls=BackupGroup, invoke_without_command=False)
def backup_command() -> None:
    """Encrypted backups with a deadline: `licmon backup DEST`, `licmon backup prune`."""


@backup_command.command("create")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
@token_option
@settings_options
@json_option
def backup_create(
    dest: Path,
    force: bool,
    token_file: Path | None,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Write an encrypted, consistent copy of the database to DEST (a file, or a directory
    to put one in), while the server keeps serving; audited."""
    settings = make_settings(config_file, data_dir=data_dir)
    embedded_only(settings, "backup")
    seal = sealing(settings, backup_key(settings))
    token = offered_token(token_file)
    if not settings.database_path.is_file():
        raise NotFound(f"database {settings.database_path} does not exist")
    actor = with_store(settings, lambda s: actor_of(s, token, cli_actor()))  # a bad token: no copy
    with working("backup") as job:
        info = backups.backup(settings.database_path, dest, seal, overwrite=force)
        job.done(f"{info.size:,} bytes, {info.licenses:,} licenses")
    try:
        with_store(settings, lambda s: _record_backup(s, actor, info, seal))
    except BaseException:
        info.path.unlink(missing_ok=True)  # no backup the audit log does not know of
        raise
    emit({**_describe(info), "expires_at": seal.expires_at}, as_json)
    if not as_json:
        click.echo(SECRETS_NOTE.format(data_dir=settings.data_dir), err=True)


async def _record_backup(
    store: Store, actor: str, info: backups.DatabaseInfo, seal: backups.Sealing
) -> None:
    details = {"file": info.path.name, "bytes": info.size, "expires_at": seal.expires_at}
    await store.audit_record(
        AuditEntry(seal.taken_at, actor, "backup.create", "database", "ok", details)
    )


@backup_command.command("prune")
@click.argument("directories", nargs=-1, type=click.Path(file_okay=False, path_type=Path))
@settings_options
@json_option
def backup_prune(
    directories: tuple[Path, ...], config_file: Path | None, data_dir: Path | None, as_json: bool
) -> None:
    """Delete expired backups in DIRECTORIES and expired copies kept by restore."""
    settings = make_settings(config_file, data_dir=data_dir)
    now = int(time.time())
    places = [*directories, settings.data_dir] if settings.data_dir.is_dir() else [*directories]
    deleted = [path for place in places for path in backups.expired(place, now)]
    if settings.data_dir.is_dir():
        keep = keep_seconds(settings)
        deleted += backups.expired_plain_copies(settings.database_path, keep, now)
    for path in deleted:
        path.unlink(missing_ok=True)
    emit({"deleted": [str(p) for p in deleted]}, as_json)


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The backup key SRC was encrypted with (default: the data directory's).",
)
@token_option
@settings_options
@json_option
def restore_command(
    src: Path,
    key_file: Path | None,
    token_file: Path | None,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Check the backup SRC, apply the erasure ledger and retention to it, and make it the
    database (the server must be stopped)."""
    settings = make_settings(config_file, data_dir=data_dir)
    embedded_only(settings, "restore")
    directory = DataDir(settings.data_dir).ensure()
    ensure_not_serving(settings.data_dir)
    key = backup_key(settings, key_file, create=False)
    prepare = RestorePreparation(
        AuditSeal.beside(settings.database_path),
        _restorer(settings, offered_token(token_file)),
        settings.retention_batch_rows,
    )
    info, kept = backups.restore(src, settings.database_path, sealing(settings, key), prepare)
    prepare.record_restore()
    with_store(settings, lambda s: s.audit_head())  # seals the log as restored
    emit(_restored(info, kept, prepare), as_json)
    if not as_json:
        _restore_notes(info, kept, directory)


def _restorer(settings: Settings, token: str | None) -> Callable[[Store], Awaitable[str]]:
    """Who restores: the token's person as the database being replaced knows them (the copy
    may predate their account), else as the copy does; without a token, the OS user. Asked
    only once the copy has passed its checks, so a refused restore changes nothing."""

    async def actor(copy: Store) -> str:
        if not token or not settings.database_path.is_file():
            return await actor_of(copy, token, cli_actor())
        live = open_store(settings)
        await live.open()
        try:
            return await actor_of(live, token, cli_actor())
        finally:
            await live.close()

    return actor


def _restored(
    info: backups.DatabaseInfo, kept: Path | None, prepare: RestorePreparation
) -> dict[str, Any]:
    out = prepare.outcome
    return {
        **_describe(info),
        "previous": str(kept) if kept else None,
        "taken_at": out.taken_at,
        "erasures_reapplied": out.erasures_reapplied,
        "audit_entries_lost": out.entries_lost,
        "retention_folded": out.retention.get("folded", 0),
    }


def _restore_notes(info: backups.DatabaseInfo, kept: Path | None, directory: DataDir) -> None:
    if kept:
        click.echo(
            f"The previous database is kept, encrypted, at {kept} until its deadline "
            "(licmon backup prune deletes it)."
        )
    if info.licenses and not directory.pepper_path.exists():
        click.echo(
            f"Warning: {directory.pepper_path} is missing: put back the pepper in use when this "
            "backup was taken, or no license key will be recognized.",
            err=True,
        )


def _describe(info: backups.DatabaseInfo) -> dict[str, object]:
    return {
        "path": str(info.path),
        "bytes": info.size,
        "licenses": info.licenses,
        "migrations": list(info.migrations),
    }
