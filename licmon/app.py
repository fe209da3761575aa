"""create_app(): the only place that wires concrete parts together."""

import asyncio
import importlib
import time
from collections.abc import AsyncIterator, Callable
from types import ModuleType

from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge

from licmon import auditing, retention
from licmon.abuse.wiring import abuse_ctx, geo_from, geoip_ctx
from licmon.catalog import KeyIndex, stop_task
from licmon.clockguard import ClockWatch
from licmon.config import Settings
from licmon.datadir import open_initialized
from licmon.domain.license_keys import pepper_fingerprint
from licmon.domain.network import TrustedProxies
from licmon.errors import ConfigError
from licmon.gauges import GaugeRefresher
from licmon.geo import Geo
from licmon.keys import (
    GAUGES,
    GEO,
    INDEX,
    KEYRING,
    METRICS,
    PEPPER,
    SERVICE,
    SETTINGS,
    STORE,
    TRUSTED_PROXIES,
)
from licmon.metrics import Metrics
from licmon.restoring import erasure_ledger_ctx
from licmon.service import CheckinService
from licmon.signing import BatchSigner
from licmon.store.base import Store
from licmon.store.sqlite import SqliteStore
from licmon.store.sqlite import prepare_database as prepare_sqlite
from licmon.store.writer import GroupCommit
from licmon.web import api, health, metrics_web
from licmon.web.admission import ADMISSION, Admission
from licmon.web.console import setup as console
from licmon.web.middlewares import error_middleware
from licmon.web.observe import observe_middleware

Clock = Callable[[], float]
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
POSTGRES_MISSING = "PostgreSQL needs: pip install 'licmon[postgres]'"


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    geo: Geo | None = None,
    registry: CollectorRegistry | None = None,
    clock: Clock = time.time,
) -> web.Application:
    admission = Admission(settings.max_inflight_checkins)
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[observe_middleware(settings), admission.middleware(), error_middleware],
    )
    app[ADMISSION] = admission
    app[SETTINGS] = settings
    app[CLOCK] = clock
    app[STORE] = store or open_store(settings, clock)
    app[GEO] = geo or geo_from(settings)
    app[METRICS] = Metrics(registry or CollectorRegistry())
    app[TRUSTED_PROXIES] = _trusted(settings)
    app[GAUGES] = GaugeRefresher(app[METRICS], settings.metrics_refresh_seconds, clock)
    app.cleanup_ctx.append(_secrets_ctx)
    app.cleanup_ctx.append(_store_ctx)
    app.cleanup_ctx.append(erasure_ledger_ctx)  # before anything is served
    app.cleanup_ctx.append(geoip_ctx)
    app.cleanup_ctx.append(_service_ctx(clock))
    app.cleanup_ctx.append(abuse_ctx(clock))
    app.cleanup_ctx.append(_retention_ctx)
    app.cleanup_ctx.append(auditing.seal_ctx(clock))
    app.router.add_routes(api.routes)
    app.router.add_routes(health.routes)
    metrics_web.install(app, clock)
    console.install(app, clock)  # the staff console under /staff
    return app


def open_store(settings: Settings, clock: Clock = time.time) -> Store:
    """The store ``database_url`` names: PostgreSQL, or else the embedded SQLite file."""
    if settings.database_url:
        store: Store = _postgres("store").PostgresStore(
            settings.database_url,
            batch_max=settings.write_batch_max,
            clock=clock,
            usage_min_orgs=settings.usage_min_orgs,
            pepper_fingerprint=lambda: _pepper_fingerprint(settings),
            data_dir=settings.data_dir,
        )
        store.data_dir = settings.data_dir  # type: ignore[attr-defined]  # its erasure ledger
        return store
    return SqliteStore(
        settings.database_path,
        synchronous=settings.sqlite_synchronous,
        batch_max=settings.write_batch_max,
        clock=clock,
        usage_min_orgs=settings.usage_min_orgs,
    )


def prepare_store(settings: Settings) -> None:
    """Create or migrate the database (``licmon init`` and ``serve``); on PostgreSQL also
    record, or check, the fingerprint of this node's pepper."""
    if settings.database_url:
        _postgres("connect").prepare_database(settings.database_url, _pepper_fingerprint(settings))
    else:
        prepare_sqlite(settings.database_path)


def _postgres(module: str) -> ModuleType:
    """A module of the PostgreSQL backend, imported only when ``database_url`` asks for it."""
    try:
        return importlib.import_module(f"licmon.store.postgres.{module}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in {"psycopg", "psycopg_pool"}:
            raise ConfigError(POSTGRES_MISSING) from None
        raise


def _pepper_fingerprint(settings: Settings) -> str:
    return pepper_fingerprint(open_initialized(settings).pepper())


def _trusted(settings: Settings) -> TrustedProxies:
    try:
        return TrustedProxies.parse(settings.trusted_proxies, settings.proxy_header)
    except ValueError as exc:
        raise ConfigError(f"trusted_proxies / proxy_header: {exc}") from None


async def _secrets_ctx(app: web.Application) -> AsyncIterator[None]:
    data_dir = await asyncio.to_thread(open_initialized, app[SETTINGS])
    app[KEYRING] = await asyncio.to_thread(data_dir.keyring)
    app[PEPPER] = await asyncio.to_thread(data_dir.pepper)
    app[INDEX] = KeyIndex(app[PEPPER])
    yield


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    store, metrics = app[STORE], app[METRICS]
    await store.open()
    store.on_personal_read = metrics.personal_data_read
    writer = getattr(store, "writer", None)
    if isinstance(writer, GroupCommit):
        writer.stats.observe = metrics.observe_batch
        metrics.queue_depth.set_function(lambda: writer.depth)
    if isinstance(store, SqliteStore):
        wal = store.wal
        Gauge(
            "licmon_store_wal_bytes", "Size of the SQLite WAL file.", registry=metrics.registry
        ).set_function(lambda: wal.wal_bytes)
        await asyncio.to_thread(wal.checkpoint)
        checkpoints = asyncio.create_task(wal.run_every(app[SETTINGS].wal_checkpoint_seconds))
    watch = ClockWatch(store, app[CLOCK], metrics.registry)
    await watch.check()
    clock_checks = asyncio.create_task(watch.run_every(app[SETTINGS].wal_checkpoint_seconds))
    yield
    await stop_task(clock_checks)
    if isinstance(store, SqliteStore):
        await stop_task(checkpoints)
    await store.close()


def _service_ctx(clock: Clock) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        index, store, settings = app[INDEX], app[STORE], app[SETTINGS]
        await index.refresh(store, force=True)
        app[METRICS].licenses.set_function(lambda: len(index))
        signer = BatchSigner(app[KEYRING])
        app[SERVICE] = CheckinService(
            store, index, app[GEO], signer, app[METRICS], settings.server_id, clock
        )
        follower = asyncio.create_task(index.follow(store, settings.catalog_poll_seconds))
        yield
        await stop_task(follower)
        await asyncio.to_thread(signer.close)

    return ctx


async def _retention_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    await retention.report_last_success(app[STORE], app[METRICS])
    job = asyncio.create_task(
        retention.run_every(
            app[STORE],
            settings.retention_interval_seconds,
            settings.retention_batch_rows,
            app[METRICS],
            settings.retention_max_clock_ahead_seconds,
            app[CLOCK],
        )
    )
    yield
    await stop_task(job)
