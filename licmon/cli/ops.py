"""licmon backup | restore."""

from pathlib import Path

import click

from licmon.cli.common import emit, json_option, make_settings, settings_options
from licmon.cli.progress import working
from licmon.datadir import DataDir
from licmon.serverlock import ensure_not_serving
from licmon.store import backup as backups

SECRETS_NOTE = (
    "The key pepper and signing keys are not in the copy: keep {data_dir}/pepper and "
    "{data_dir}/signing/ backed up apart from it."
)


@click.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
@settings_options
@json_option
def backup_command(
    dest: Path, force: bool, config_file: Path | None, data_dir: Path | None, as_json: bool
) -> None:
    """Write a consistent copy of the database to DEST (a file, or a directory to put one in),
    while the server keeps serving."""
    settings = make_settings(config_file, data_dir=data_dir)
    with working("backup") as job:
        info = backups.backup(settings.database_path, dest, overwrite=force)
        job.done(f"{info.size:,} bytes, {info.licenses:,} licenses")
    emit(_describe(info), as_json)
    if not as_json:
        click.echo(SECRETS_NOTE.format(data_dir=settings.data_dir), err=True)


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@settings_options
@json_option
def restore_command(
    src: Path, config_file: Path | None, data_dir: Path | None, as_json: bool
) -> None:
    """Check the backup SRC and make it the database (the server must be stopped)."""
    settings = make_settings(config_file, data_dir=data_dir)
    directory = DataDir(settings.data_dir).ensure()
    ensure_not_serving(settings.data_dir)
    info, kept = backups.restore(src, settings.database_path)
    result = {**_describe(info), "previous": str(kept) if kept else None}
    emit(result, as_json)
    if as_json:
        return
    if kept:
        click.echo(f"The previous database is kept at {kept}: delete it once this one is verified.")
    if info.pending:
        click.echo(f"Migrations {', '.join(info.pending)} will be applied when licmon starts.")
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
