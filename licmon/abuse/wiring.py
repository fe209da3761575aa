"""The running server's abuse-detection resources, as aiohttp cleanup contexts:
GeoIP files (opened, watched, reloaded on SIGHUP) and the detectors (rebuilt from the store,
attached to the check-in service)."""

import asyncio
import dataclasses
import hashlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from licmon.abuse.monitor import AbuseMonitor
from licmon.abuse.record_seal import RecordSeal
from licmon.abuse.sharing import DetectorShare
from licmon.catalog import stop_task
from licmon.config import Settings
from licmon.domain.detectors import DetectorSet, Thresholds
from licmon.domain.detectors.shared import host_pseudonym
from licmon.geo import Geo, NoGeo
from licmon.geoip import MaxMindGeo
from licmon.geoip.slots import ANONYMOUS, ASN, CITY
from licmon.keys import ABUSE, GEO, INDEX, METRICS, PEPPER, SERVICE, SETTINGS, STORE
from licmon.periodic import Episode

log = logging.getLogger(__name__)
Clock = Callable[[], float]
REBUILD_WAIT_SECONDS = 0.25  # start-up waits this long for the detector windows, no longer


def thresholds_from(settings: Settings) -> Thresholds:
    """The settings named like the detector thresholds, as the domain's Thresholds."""
    return Thresholds(**{f.name: getattr(settings, f.name) for f in dataclasses.fields(Thresholds)})


def geo_from(settings: Settings) -> Geo:
    paths = {
        CITY: settings.geoip_city,
        ASN: settings.geoip_asn,
        ANONYMOUS: settings.geoip_anonymous,
    }
    if not any(paths.values()):
        return NoGeo()
    return MaxMindGeo(paths, settings.geoip_cache_networks, settings.geoip_default_accuracy_km)


async def geoip_ctx(app: web.Application) -> AsyncIterator[None]:
    geo = app[GEO]
    if not isinstance(geo, MaxMindGeo):
        yield
        return
    geo.metrics = app[METRICS]
    await asyncio.to_thread(geo.open)  # a corrupt or wrong-type file stops start-up here
    every = app[SETTINGS].geoip_check_seconds
    watcher = asyncio.create_task(geo.watch(every)) if every > 0 else None
    hangup = _on_sighup(lambda: geo.reload(force=True))
    yield
    if hangup:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
    if watcher is not None:
        await stop_task(watcher)
    geo.close()


def abuse_ctx(clock: Clock) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings, store = app[SETTINGS], app[STORE]
        detectors = DetectorSet(thresholds_from(settings), place_key(app[PEPPER]))
        monitor = AbuseMonitor(detectors, store, app[METRICS], app[GEO].locates, app[GEO])
        monitor.index = app[INDEX]
        app[ABUSE] = monitor
        await _share_if_several_nodes(app, monitor)
        app[SERVICE].abuse = monitor  # holds live events until the windows are refilled
        rebuild = asyncio.create_task(_rebuild(app, monitor, int(clock())))
        await asyncio.wait({rebuild}, timeout=REBUILD_WAIT_SECONDS)  # then on in the background
        tasks = [
            rebuild,
            asyncio.create_task(
                _every(settings.metrics_refresh_seconds, monitor.refresh_open_flags)
            ),
            asyncio.create_task(_every(settings.catalog_poll_seconds, monitor.refresh_places)),
        ]
        if monitor.share is not None:
            exchange = _exchange(monitor, rebuild, settings.detector_share_seconds, clock)
            tasks.append(asyncio.create_task(exchange))
        keep = settings.learned_keep_seconds

        async def save() -> None:
            await monitor.save_learned(int(clock()), keep)

        tasks.append(asyncio.create_task(_every(settings.learned_save_seconds, save, first=False)))
        yield
        app[SERVICE].abuse = None
        for task in tasks:
            await stop_task(task)
        if monitor.share is not None:
            await _last_exchange(monitor, int(clock()))
        try:
            await save()  # what the last minutes taught, before the store closes
        except Exception:
            log.warning("learned detector state not saved at shutdown", exc_info=True)

    return ctx


def place_key(pepper: bytes) -> bytes:
    """The key of the detectors' network pseudonyms, derived from the server's pepper."""
    return hashlib.blake2b(pepper, digest_size=32, person=b"licmon-places").digest()


async def _share_if_several_nodes(app: web.Application, monitor: AbuseMonitor) -> None:
    """On a database other nodes write, share detector events with them (the throttle's
    host keys become pseudonyms every node computes alike)."""
    store = app[STORE]
    if not store.shared_by_nodes():
        return
    monitor.share = DetectorShare(store, RecordSeal(app[PEPPER]))
    monitor.host_of = host_pseudonym(app[PEPPER])
    try:
        await monitor.share.start()
    except Exception:
        log.warning("detector sharing not started; it retries", exc_info=True)


async def _exchange(
    monitor: AbuseMonitor, rebuild: "asyncio.Task[None]", seconds: float, clock: Clock
) -> None:
    """Every ``seconds``; an unreachable database is told once, not at every round."""
    await asyncio.wait({rebuild})  # the windows are refilled on a thread: not meanwhile
    episode = Episode(log, "detector events not shared; retrying", "detector events shared again")
    while True:
        try:
            await monitor.exchange(int(clock()))
        except Exception as exc:
            episode.failed(exc)
        else:
            episode.succeeded()
        await asyncio.sleep(seconds)


async def _last_exchange(monitor: AbuseMonitor, now: int) -> None:
    """At shutdown: what this node saw last still reaches the others."""
    try:
        await monitor.exchange(now)
    except Exception:
        log.warning("last detector events not shared", exc_info=True)


async def _rebuild(app: web.Application, monitor: AbuseMonitor, now: int) -> None:
    """In the background, so that a restart with a long log serves at once; the detectors
    see the check-ins that arrived meanwhile once their windows are refilled."""
    try:
        replayed = await monitor.rebuild(app[INDEX], now, app[SETTINGS].learned_keep_seconds)
    except Exception:
        log.warning("detector windows not rebuilt; they fill from live traffic", exc_info=True)
        replayed = 0
        monitor.start_saving(now)
    log.info("detector windows rebuilt", extra={"connections": replayed})


def _on_sighup(reload: Callable[[], Awaitable[list[str]]]) -> bool:
    """SIGHUP reloads every GeoIP file; False where signals cannot be handled here."""
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[None]] = set()

    async def run() -> None:
        log.info("SIGHUP: reloading GeoIP databases", extra={"reloaded": await reload()})

    def handle() -> None:
        task = loop.create_task(run())
        pending.add(task)
        task.add_done_callback(pending.discard)

    try:
        loop.add_signal_handler(signal.SIGHUP, handle)
    except (NotImplementedError, RuntimeError, ValueError):
        return False
    return True


async def _every(
    seconds: float, action: Callable[[], Awaitable[None]], *, first: bool = True
) -> None:
    if not first:
        await asyncio.sleep(seconds)
    episode = Episode(
        log, "periodic abuse refresh failed; retrying", "periodic abuse refresh again"
    )
    while True:
        try:
            await action()
        except Exception as exc:
            episode.failed(exc, task=action.__name__)
        else:
            episode.succeeded()
        await asyncio.sleep(seconds)
