"""licmon demo: a real server on 127.0.0.1, demo licenses, honest and abusive programs.

The server runs in this process on the embedded default (SQLite) in a fresh temporary
directory, removed at exit (``--data-dir`` keeps it instead). The simulated programs use
``licmon.client`` over HTTP, stop by themselves after ``--seconds``, and the command exits 0;
Ctrl-C stops everything cleanly at any point (exit status 130).
"""

import asyncio
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import click
from aiohttp import web

from licmon.app import create_app, open_store
from licmon.cli.server import initialize
from licmon.client import TrustedKeys
from licmon.config import Settings
from licmon.datadir import open_data_dir
from licmon.demo.report import (
    DemoRun,
    countries_line,
    what_clients_were_told,
    what_the_server_saw,
    where_to_look,
)
from licmon.demo.seed import DemoLicense, seed, seed_staff
from licmon.demo.simulate import simulate
from licmon.demo.world import DemoWorld, build_world
from licmon.errors import BadRequest, ConfigError
from licmon.keys import STORE
from licmon.serverlock import serving

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class DemoOptions:
    data_dir: Path
    keep_data: bool
    port: int
    seconds: int
    stay: int


@click.command("demo")
@click.option(
    "--seconds",
    type=click.IntRange(1, 600),
    default=10,
    show_default=True,
    help="How long the simulated programs run.",
)
@click.option(
    "--stay",
    type=click.IntRange(0, 3600),
    default=0,
    show_default=True,
    help="Keep the server up this many seconds afterwards to look around (Ctrl-C ends it).",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, help="Port on 127.0.0.1 (default: any)."
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo data in this new directory (default: a temporary one, removed at exit).",
)
def demo(seconds: int, stay: int, port: int, data_dir: Path | None) -> None:
    """Run a demo server with demo licenses and simulated honest and abusive programs."""
    directory = _fresh_directory(data_dir)
    options = DemoOptions(directory, data_dir is not None, port, seconds, stay)
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with serving(directory):  # the same lock as `licmon serve`: one server per directory
            asyncio.run(run_demo(options))
    except KeyboardInterrupt:
        click.echo("\nDemo stopped.", err=True)
        raise SystemExit(130) from None
    finally:
        if not options.keep_data:
            shutil.rmtree(directory, ignore_errors=True)


def _fresh_directory(data_dir: Path | None) -> Path:
    if data_dir is None:
        return Path(tempfile.mkdtemp(prefix="licmon-demo-"))
    if (data_dir / "licmon.db").exists():
        raise BadRequest(f"{data_dir} already holds a licmon database; name a new directory.")
    return data_dir


async def run_demo(options: DemoOptions) -> None:
    world = await asyncio.to_thread(build_world, options.data_dir / "geoip")
    settings = Settings(
        data_dir=options.data_dir,
        host=LOOPBACK,
        port=options.port,
        sqlite_synchronous="NORMAL",
        trusted_proxies=("127.0.0.0/8",),  # the programs name their network (demo only)
        geoip_city=str(world.databases.get("city", "")),
        geoip_asn=str(world.databases.get("asn", "")),
        geoip_anonymous=str(world.databases.get("anonymous", "")),
    )
    if world.missing:
        _say(f"No GeoIP world for the demo ({world.missing}); countries stay unknown.")
    licenses, keys, login = await _prepare(settings)
    runner = web.AppRunner(create_app(settings), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        url = await _listen(runner, options.port)
        await _show(
            runner,
            DemoRun(url, options.data_dir, options.keep_data, login),
            options,
            licenses,
            keys,
            world,
        )
    finally:
        await runner.cleanup()


async def _prepare(
    settings: Settings,
) -> tuple[list[DemoLicense], TrustedKeys, tuple[str, str]]:
    await asyncio.to_thread(initialize, settings)
    data_dir = open_data_dir(settings)
    store = open_store(settings)
    await store.open()
    try:
        licenses = await seed(store, data_dir.pepper())
        login = await seed_staff(store)
    finally:
        await store.close()
    return licenses, TrustedKeys.from_jwks(data_dir.keyring().jwks()), login


async def _listen(runner: web.AppRunner, port: int) -> str:
    try:
        await web.TCPSite(runner, LOOPBACK, port).start()
    except OSError as exc:
        raise ConfigError(f"cannot listen on {LOOPBACK}:{port}: {exc.strerror}") from None
    return f"http://{LOOPBACK}:{runner.addresses[0][1]}"


async def _show(
    runner: web.AppRunner,
    run: DemoRun,
    options: DemoOptions,
    licenses: list[DemoLicense],
    keys: TrustedKeys,
    world: DemoWorld,
) -> None:
    url = run.url
    _say("licmon demo: a licmon server on the embedded SQLite store, with demo licenses.")
    _section("Where to look:", where_to_look(run))
    _say(
        f"Running simulated programs for {options.seconds} s: honest machines, seat overuse, "
        "many machines on one key, invalid-key guessing, a revoked key, one seat used in Vienna "
        "and San Francisco minutes apart..."
    )
    told = await simulate(url, licenses, keys, world, options.seconds)
    _section("What the programs were told:", what_clients_were_told(told))
    store = runner.app[STORE]
    usage = [(lic, await store.license_usage(lic.license_id)) for lic in licenses]
    saw = what_the_server_saw(await _scrape(url), usage)
    since = int(time.time()) - 86400
    saw += [
        countries_line(lic, (await store.license_activity(lic.license_id, since))["countries"])
        for lic in licenses
    ]
    _section("What the server saw (from /metrics and the store):", saw)
    if options.stay:
        _say(f"The server stays up for {options.stay} s at {url} (Ctrl-C stops it).")
        await asyncio.sleep(options.stay)
    _say("Demo finished.")


async def _scrape(url: str) -> str:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.get(f"{url}/metrics") as response,
    ):
        return await response.text()


def _say(text: str) -> None:
    click.echo(text)
    click.echo()


def _section(title: str, lines: list[str]) -> None:
    click.echo(title)
    for line in lines:
        click.echo(line)
    click.echo()
