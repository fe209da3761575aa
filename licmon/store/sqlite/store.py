"""The embedded SQLite backend: one writer thread with group commit, reads on other threads."""

import asyncio
import os
import sqlite3
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

from licmon.domain.audit import SYSTEM_ACTOR
from licmon.domain.models import (
    CheckinCommand,
    License,
    SeatKind,
    SeatResult,
)
from licmon.domain.offline import ActivationGrant, ActivationRequest
from licmon.errors import ConfigError, Unavailable
from licmon.store.base import LicenseUsage, Store, StoreGauges, WriterHealth
from licmon.store.catalog_methods import CatalogMethods
from licmon.store.sqlite import activations, catalog, migrations, node_locks, seats
from licmon.store.sqlite import gauges as sqlite_gauges
from licmon.store.sqlite.admin import SqliteAdmin
from licmon.store.sqlite.faults import StorageFull, is_storage_fault, storage_faults
from licmon.store.sqlite.flags import SqliteFlags
from licmon.store.sqlite.listing import SqliteListing
from licmon.store.sqlite.personal import LicmonConnection, install_authorizer, privileged
from licmon.store.sqlite.privacy import SqlitePrivacy
from licmon.store.sqlite.shared import SqliteSharedDetectors
from licmon.store.sqlite.staff import SqliteStaff
from licmon.store.sqlite.wal import WalWatch
from licmon.store.sqlite.webhooks import SqliteWebhooks
from licmon.store.sqlite.writer import Writer, WriterClosed
from licmon.store.usage_tally import Counted

T = TypeVar("T")
SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
JOURNAL_SIZE_LIMIT = 16 << 20  # the WAL file is cut back to this after a full checkpoint


# CPython's sqlite3 binds int, float and str directly but asks every other parameter, None
# too, for an adapter: a registry miss, then two attribute lookups along the type's MRO.
# A registered adapter for None (a C method returning None, bound as NULL) is one lookup:
# a check-in's connection row binds up to seven NULLs (the GeoIP fields it has none of).
sqlite3.register_adapter(type(None), cast("Callable[[None], None]", {}.get))


def connect(path: Path, synchronous: str = "FULL") -> LicmonConnection:
    """A connection in explicit-transaction mode with licmon's pragmas."""
    conn = sqlite3.connect(
        path,
        isolation_level=None,
        check_same_thread=False,
        timeout=10,
        factory=LicmonConnection,
    )
    install_authorizer(conn)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA cache_size = -65536")
    conn.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
    return conn


def prepare_database(path: Path) -> None:
    """Create the file owner-only, switch it to WAL and apply pending migrations."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        conn = connect(path)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"database {path} cannot be opened: {_cause(exc)}") from None
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        with privileged(conn):  # schema statements name the personal columns
            migrations.apply(catalog.db_of(conn))
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"database {path} cannot be opened: {_cause(exc)}") from None
    finally:
        conn.close()


def _cause(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


class SqliteStore(
    SqlitePrivacy,
    SqliteStaff,
    SqliteFlags,
    SqliteListing,
    SqliteSharedDetectors,
    SqliteAdmin,
    SqliteWebhooks,
    CatalogMethods,
    Store,
):
    catalog = catalog

    def __init__(
        self,
        path: Path,
        *,
        synchronous: str = "FULL",
        batch_max: int = 1024,
        clock: Callable[[], float] = time.time,
        usage_min_orgs: int = 3,
    ) -> None:
        if usage_min_orgs < 1:
            raise ConfigError("usage_min_orgs must be at least 1")
        self.usage_min_orgs = usage_min_orgs
        if synchronous.upper() not in SYNCHRONOUS_MODES:
            raise ConfigError(f"sqlite_synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}")
        self.path = path
        self._synchronous = synchronous.upper()
        self._clock = clock
        self._writer = Writer(
            partial(connect, path, self._synchronous), batch_max, seats.write_usage
        )
        self.faults = storage_faults(path)
        self.wal = WalWatch(path, JOURNAL_SIZE_LIMIT)

    @property
    def writer(self) -> Writer:
        return self._writer

    async def open(self) -> None:
        await asyncio.to_thread(prepare_database, self.path)
        await self._writer.start()

    async def close(self) -> None:
        await self._writer.stop()

    # -- plumbing
    def _now(self) -> int:
        return int(self._clock())

    async def _write(
        self, operation: Callable[[sqlite3.Connection], T], *, bulk: bool = False
    ) -> T:
        try:
            result = await self._writer.submit(operation, bulk=bulk)
        except WriterClosed:
            raise Unavailable("The store is not accepting writes (shutting down).") from None
        except sqlite3.OperationalError as exc:
            if not is_storage_fault(exc):
                raise
            self.faults.failed(getattr(exc, "sqlite_errorname", None) or type(exc).__name__)
            raise StorageFull() from None
        if operation is not _noop:  # a probe commits nothing: it proves no free space
            self.faults.succeeded()
        return result

    async def _read(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self._read_sync, operation)

    def _read_sync(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        conn = connect(self.path, self._synchronous)
        try:
            conn.execute("PRAGMA query_only = ON")
            return operation(conn)
        finally:
            conn.close()

    # -- the hot path
    async def checkin(self, cmd: CheckinCommand) -> SeatResult:
        op = partial(seats.apply_checkin, cmd=cmd)
        return await self._write(Counted(op, cmd.license.id, cmd.now, replayable=True))

    async def release(self, license_id: int, machine: str, process: str | None = None) -> bool:
        return await self._write(
            partial(
                seats.apply_release,
                license_id=license_id,
                machine=machine,
                process=process,
                now=self._now(),
            )
        )

    async def issue_activation(
        self,
        key_hash: bytes,
        req: ActivationRequest,
        days: int,
        make_token: Callable[[License, ActivationGrant], str],
        *,
        actor: str = SYSTEM_ACTOR,
    ) -> ActivationGrant:
        now = self._now()
        op = partial(
            activations.issue,
            key_hash=key_hash,
            req=req,
            days=days,
            now=now,
            make_token=make_token,
            actor=actor,
        )
        return await self._write(Counted(op, None, now))

    async def return_activation(
        self, activation_id: int, secret: str, *, actor: str = SYSTEM_ACTOR
    ) -> int:
        return await self._write(
            partial(
                activations.give_back,
                activation_id=activation_id,
                secret=secret,
                now=self._now(),
                actor=actor,
            )
        )

    async def newest_row_at(self) -> int | None:
        return await self._read(_newest_row_at)

    # -- health
    async def check_writable(self) -> None:
        await self._write(_noop)

    def writer_health(self) -> WriterHealth:
        return WriterHealth(self._writer.alive, self._writer.depth, self.faults.failing)

    async def gauges(self, now: int) -> StoreGauges:
        return await self._read(partial(sqlite_gauges.read_gauges, path=self.path, now=now))

    # -- administration (the catalog: CatalogMethods)
    async def license_usage(self, license_id: int) -> LicenseUsage:
        return await self._read(partial(_usage, license_id=license_id, now=self._now()))


NEWEST_ROWS = """
SELECT max(t) FROM (
    SELECT max(at) AS t FROM (SELECT at FROM audit ORDER BY id DESC LIMIT 1)
    UNION ALL SELECT max(started_at) FROM (
        SELECT started_at FROM retention_runs ORDER BY id DESC LIMIT 1)
    UNION ALL SELECT max(last_seen) FROM (
        SELECT last_seen FROM connections ORDER BY rowid DESC LIMIT 100))"""


def _newest_row_at(conn: sqlite3.Connection) -> int | None:
    """The newest time written (audit, retention runs, the newest connection rows): each
    an index walk from the end, never a scan."""
    (newest,) = conn.execute(NEWEST_ROWS).fetchone()
    return None if newest is None else int(newest)


def _noop(conn: sqlite3.Connection) -> Any:
    return conn.execute("SELECT 1").fetchone()


def _usage(conn: sqlite3.Connection, license_id: int, now: int) -> LicenseUsage:
    catalog.license_by_id(conn, license_id)
    (machines,) = conn.execute(
        "SELECT count(*) FROM machines WHERE license_id = ?", (license_id,)
    ).fetchone()
    kinds = seats.seats_by_kind(conn, license_id, now)
    return LicenseUsage(
        sum(kinds.values()),
        int(machines),
        kinds.get(SeatKind.BORROWED, 0),
        kinds.get(SeatKind.OFFLINE, 0),
        node_locks.activated_count(conn, license_id),
    )
