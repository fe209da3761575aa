"""licmon init | serve | config."""

import asyncio
import gc
import logging
import os
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import click
from aiohttp import web

from licmon.app import create_app, prepare_store
from licmon.cli.common import emit, json_option, make_settings, settings_options
from licmon.cli.ops import backup_key
from licmon.cli.workers import (
    Supervisor,
    orphan_watch,
    refuse_unsupported,
    reserved_port,
    worker_commands,
    worker_settings,
)
from licmon.config import Settings, describe
from licmon.datadir import open_data_dir, open_initialized
from licmon.errors import ConfigError
from licmon.logs import setup_logging
from licmon.serverlock import serving
from licmon.store.audit_seal import AuditSeal
from licmon.tls import server_context
from licmon.web import connguard
from licmon.web.lifecycle import StopBudget, serve_until_signalled

log = logging.getLogger("licmon")
GC_YOUNG_THRESHOLD = 50_000
EXIT_UNFINISHED = 1


@click.command()
@settings_options
def init(config_file: Path | None, data_dir: Path | None) -> None:
    """Create the data directory, database, signing key and key pepper."""
    settings = make_settings(config_file, data_dir=data_dir)
    initialize(settings)
    click.echo(f"licmon data directory ready: {settings.data_dir}")
    scheme = "https" if settings.tls_cert else "http"
    click.echo(NEXT_STEPS.format(url=f"{scheme}://{settings.host}:{settings.port}/staff/"))


NEXT_STEPS = """Next steps:
  licmon org add acme --name "Acme Ltd"          an organization
  licmon product add viewer                      a product
  licmon license add --org acme --product viewer --seats 5
                                                 a license (its key is printed once)
  licmon user add ann --roles admin              a staff account for the console
  licmon serve                                   then open {url}"""


def initialize(settings: Settings) -> None:
    """Create whatever is missing (``licmon init``, or ``serve`` on a new directory)."""
    directory = open_data_dir(settings)
    directory.pepper()
    directory.keyring()
    backup_key(settings)
    AuditSeal.beside(settings.database_path).key()
    prepare_store(settings)
    directory.mark_initialized()


def prepare_to_serve(settings: Settings) -> None:
    """An initialized directory must still hold every required file; a new one is made."""
    if open_data_dir(settings).initialized:
        open_initialized(settings)
        prepare_store(settings)
    else:
        initialize(settings)


@click.command()
@click.option("--host", help="Listen address. [env: LICMON_HOST]")
@click.option("--port", type=click.IntRange(0, 65535), help="Listen port. [env: LICMON_PORT]")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes serving the port; above 1 needs PostgreSQL. [env: LICMON_WORKERS]",
)
@click.option("--worker-of", type=int, hidden=True)  # set by the supervisor, never by hand
@click.option("--worker-index", type=int, default=0, hidden=True)
@settings_options
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    worker_of: int | None,
    worker_index: int,
    config_file: Path | None,
    data_dir: Path | None,
) -> None:
    """Run the license server (initializing the data directory on first run)."""
    settings = make_settings(config_file, data_dir=data_dir, host=host, port=port, workers=workers)
    setup_logging(settings.log_level)
    if worker_of is not None:
        _serve_worker(worker_settings(settings, worker_index), worker_of)
        return
    refuse_unsupported(settings)
    prepare_to_serve(settings)
    ssl_context = server_context(settings)
    log.info(
        "licmon starting",
        extra={
            "host": settings.host,
            "port": settings.port,
            "tls": ssl_context is not None,
            "event_loop": loop_name(settings.event_loop),
            "workers": settings.workers,
        },
    )
    try:
        with serving(settings.data_dir):
            if settings.workers > 1:
                _supervise(settings, config_file)
            else:
                _run(settings, ssl_context)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}"
        ) from None
    log.info("licmon stopped")


def _supervise(settings: Settings, config_file: Path | None) -> None:
    with reserved_port(settings.host, settings.port) as port:
        commands = worker_commands(port, config_file, settings)
        code = Supervisor(commands, settings.shutdown_timeout).run()
    if code:
        logging.shutdown()
        raise SystemExit(code)


def _serve_worker(settings: Settings, parent_pid: int) -> None:
    """One of ``--workers``: the supervisor holds the lock and prepared the store."""
    try:
        _run(settings, server_context(settings), parent_pid=parent_pid)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}"
        ) from None


def _run(
    settings: Settings, ssl_context: ssl.SSLContext | None, parent_pid: int | None = None
) -> None:
    app = create_app(settings)
    app.cleanup_ctx.append(_quiet_garbage_collector)
    if parent_pid is not None:
        app.cleanup_ctx.append(orphan_watch(parent_pid))
    connguard.install(app, settings.connections_per_address, settings.header_timeout_seconds)
    budget = StopBudget.of(settings.shutdown_timeout, settings.shutdown_drain_seconds)
    with asyncio.Runner(loop_factory=loop_factory(settings.event_loop)) as runner:
        finished = runner.run(
            serve_until_signalled(
                app,
                settings.host,
                settings.port,
                ssl_context,
                budget,
                reuse_port=parent_pid is not None,
            )
        )
        if not finished:  # a thread stuck on the database must not hold the exit:
            logging.shutdown()  # every acknowledged write has committed already
            os._exit(EXIT_UNFINISHED)


async def _quiet_garbage_collector(app: web.Application) -> AsyncIterator[None]:
    """Once started, the catalog and detector windows are long-lived: move them out of the
    collector's sight and collect young objects less often. Measured in bench/load.py: p99
    40 ms -> 28 ms at 64 connections."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
    yield
    gc.unfreeze()


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop when asked for and installed (measured in bench/load.py), else asyncio's."""
    if name == "uvloop":
        try:
            import uvloop  # noqa: PLC0415 - optional: absent on Windows
        except ImportError:
            return asyncio.new_event_loop
        return uvloop.new_event_loop
    return asyncio.new_event_loop


def loop_name(name: str) -> str:
    """The event loop ``loop_factory(name)`` gives, for the start-up log line."""
    return loop_factory(name).__module__.split(".")[0]


@click.command("config")
@settings_options
@json_option
def config_command(config_file: Path | None, data_dir: Path | None, as_json: bool) -> None:
    """Show the effective settings (secrets masked)."""
    settings = make_settings(config_file, data_dir=data_dir)
    emit(describe(settings), as_json, ("name", "value", "env"))
