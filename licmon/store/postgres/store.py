"""The PostgreSQL backend: several licmon nodes on one database.

Writes go through a group-commit writer on a connection of its own; reads and gateway
transactions take connections from pools; every op runs on a thread, never on the loop.
"""

import asyncio
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg import IsolationLevel
from psycopg_pool import ConnectionPool, PoolTimeout

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
from licmon.store.fault_episodes import RETRY_AFTER_SECONDS, FaultEpisodes
from licmon.store.postgres import activations, catalog, node_locks, seats
from licmon.store.postgres import gauges as pg_gauges
from licmon.store.postgres.admin import PostgresAdmin
from licmon.store.postgres.connect import connect, describe, prepare_database
from licmon.store.postgres.flags import PostgresFlags
from licmon.store.postgres.listing import PostgresListing
from licmon.store.postgres.privacy import PostgresPrivacy
from licmon.store.postgres.roles import Roles, set_role
from licmon.store.postgres.shared import CatalogListener, JobLocks
from licmon.store.postgres.shared_abuse import PgSharedDetectors
from licmon.store.postgres.staff import PostgresStaff
from licmon.store.postgres.webhooks import PostgresWebhooks
from licmon.store.postgres.writer import PostgresWriter, SeatCommand, rolled_back, with_retries
from licmon.store.usage_tally import Counted
from licmon.store.writer import WriterClosed

T = TypeVar("T")
Conn = psycopg.Connection[Any]
UNAVAILABLE = "The database is unavailable right now; retry later."


class DatabaseUnavailable(Unavailable):
    """The database server did not answer or dropped the connection; the transaction
    rolled back, so nothing was half-written."""

    retry_after = RETRY_AFTER_SECONDS

    def __init__(self) -> None:
        super().__init__(UNAVAILABLE)


class DatabaseBusy(Unavailable):
    """PostgreSQL rolled the transaction back (deadlock, serialization) at every attempt."""

    retry_after = 1

    def __init__(self) -> None:
        super().__init__("The database is busy; retry in a moment.")


def database_faults() -> FaultEpisodes:
    return FaultEpisodes(
        "database unreachable: requests answered 503 until it answers again",
        "database reachable again",
        {"backend": "postgresql"},
    )


def fault_cause(exc: BaseException) -> str:
    """The SQLSTATE or the error's class: never the message, which may name a host."""
    return str(getattr(exc, "sqlstate", None) or type(exc).__name__)


class PostgresStore(
    PostgresPrivacy,
    PostgresStaff,
    PostgresFlags,
    PostgresListing,
    PgSharedDetectors,
    PostgresAdmin,
    PostgresWebhooks,
    CatalogMethods,
    Store,
):
    catalog = catalog

    def __init__(
        self,
        url: str,
        *,
        batch_max: int = 1024,
        clock: Callable[[], float] = time.time,
        usage_min_orgs: int = 3,
        pepper_fingerprint: Callable[[], str] | None = None,
        pool_size: int = 8,
        data_dir: Path | None = None,  # this node's: the erasure ledger is kept there
    ) -> None:
        if usage_min_orgs < 1:
            raise ConfigError("usage_min_orgs must be at least 1")
        self.faults = database_faults()
        self.transaction_retries = 0  # gateway and read transactions run again (deadlocks)
        self.usage_min_orgs = usage_min_orgs
        self.url = url
        self._clock = clock
        self._pepper_fingerprint = pepper_fingerprint
        self._pool_size = pool_size
        self.data_dir = data_dir
        self._roles: Roles | None = None
        self._readers: ConnectionPool[Any] | None = None
        self._gateways: ConnectionPool[Any] | None = None
        self._writer = PostgresWriter(self._writer_connection, batch_max, seats.write_usage)
        self.listener = CatalogListener(url)
        self._jobs = JobLocks(url)

    @property
    def writer(self) -> PostgresWriter:
        return self._writer

    @property
    def is_open(self) -> bool:
        return self._readers is not None

    @property
    def roles(self) -> Roles:
        if self._roles is None:
            raise Unavailable("The store is not open.")
        return self._roles

    async def open(self) -> None:
        self._roles = await asyncio.to_thread(self._prepare)
        self._readers = await asyncio.to_thread(self._pool, "readers", read_only=True)
        self._gateways = await asyncio.to_thread(self._pool, "gateway", read_only=False)
        await self._writer.start()
        self.open_detector_records(self.url, self.roles.app)
        self.listener.start()

    async def close(self) -> None:
        await self.listener.stop()
        await self._jobs.close()  # another node takes the singleton jobs
        await self.close_detector_records()
        await self._writer.stop()
        for pool in (self._readers, self._gateways):
            if pool is not None:
                await asyncio.to_thread(pool.close)
        self._readers = self._gateways = None

    def _prepare(self) -> Roles:
        fingerprint = self._pepper_fingerprint() if self._pepper_fingerprint else None
        return prepare_database(self.url, fingerprint)

    def _pool(self, name: str, *, read_only: bool) -> ConnectionPool[Any]:
        def configure(conn: Conn) -> None:
            set_role(conn, self.roles.app, local=False)
            conn.commit()
            conn.read_only = read_only
            if read_only:  # one snapshot per read, however many statements it runs
                conn.isolation_level = IsolationLevel.REPEATABLE_READ

        pool: ConnectionPool[Any] = ConnectionPool(
            self.url,
            min_size=1,
            max_size=self._pool_size,
            name=f"licmon-{name}",
            configure=configure,
            open=False,
            timeout=10,
        )
        try:
            pool.open(wait=True, timeout=10)
        except PoolTimeout:
            pool.close()
            raise ConfigError(f"database {describe(self.url)} cannot be opened") from None
        return pool

    def _writer_connection(self) -> Conn:
        conn = connect(self.url)
        set_role(conn, self.roles.app, local=False)
        conn.commit()
        return conn

    # -- plumbing
    def _now(self) -> int:
        return int(self._clock())

    async def _write(self, op: Callable[[Conn], T], *, bulk: bool = False) -> T:
        try:
            result = await self._writer.submit(op, bulk=bulk)
        except WriterClosed:
            raise Unavailable("The store is not accepting writes (shutting down).") from None
        except psycopg.Error as exc:
            if rolled_back(exc):  # at every attempt: contention, not an unreachable database
                raise DatabaseBusy() from None
            self._unreachable(exc)
            raise
        except ConfigError as exc:
            self.faults.failed(fault_cause(exc))
            raise DatabaseUnavailable() from None
        self.faults.succeeded()
        return result

    async def _read(self, op: Callable[[Conn], T]) -> T:
        return await asyncio.to_thread(self._in_pool, self._readers, op, None)

    async def _gateway(self, op: Callable[[Conn], T], *, bulk: bool = False) -> T:
        return await asyncio.to_thread(self._in_pool, self._gateways, op, self.roles.gateway)

    def _unreachable(self, exc: BaseException) -> None:
        """DatabaseUnavailable (and a fault episode) when the database could not be reached
        (not for a transaction rollback, SQLSTATE class 40, which psycopg files there too)."""
        rollback = isinstance(exc, psycopg.Error) and (exc.sqlstate or "").startswith("40")
        if isinstance(exc, psycopg.OperationalError | PoolTimeout) and not rollback:
            self.faults.failed(fault_cause(exc))
            raise DatabaseUnavailable() from None

    def _in_pool(
        self, pool: ConnectionPool[Any] | None, op: Callable[[Conn], T], role: str | None
    ) -> T:
        """``op`` in a transaction of its own; run again, a few times, when PostgreSQL rolled
        it back for a deadlock or a serialization failure (as the writer runs its batches)."""
        if pool is None:
            raise Unavailable("The store is not open.")

        def attempt() -> T:
            with pool.connection() as conn, conn.transaction():
                if role is not None:
                    set_role(conn, role)
                return op(conn)

        try:
            return with_retries(attempt, self._count_retry)
        except (psycopg.Error, PoolTimeout) as exc:
            if rolled_back(exc):
                raise DatabaseBusy() from None
            self._unreachable(exc)
            raise

    def _count_retry(self) -> None:
        self.transaction_retries += 1

    # -- the hot path
    async def checkin(self, cmd: CheckinCommand) -> SeatResult:
        op = partial(seats.apply_checkin, cmd=cmd)
        usage = (cmd.license.id, cmd.now)
        return await self._write(SeatCommand(op, usage[:1], pipelined=True, usage=usage))

    async def release(self, license_id: int, machine: str, process: str | None = None) -> bool:
        op = partial(
            seats.apply_release,
            license_id=license_id,
            machine=machine,
            process=process,
            now=self._now(),
        )
        return await self._write(SeatCommand(op, (license_id,)))

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

    async def catalog_changed(self, timeout: float) -> None:
        await self.listener.changed(timeout)

    async def job_lock(self, name: str) -> bool:
        return await self._jobs.hold(name)

    async def newest_row_at(self) -> int | None:
        return await self._read(_newest_row_at)

    # -- health
    async def check_writable(self) -> None:
        await self._write(_noop)

    def writer_health(self) -> WriterHealth:
        return WriterHealth(
            self._writer.alive, self._writer.depth, database_unreachable=self.faults.failing
        )

    async def gauges(self, now: int) -> StoreGauges:
        return await self._read(partial(pg_gauges.read_gauges, now=now))

    # -- administration (the catalog: CatalogMethods)
    async def license_usage(self, license_id: int) -> LicenseUsage:
        return await self._read(partial(_usage, license_id=license_id, now=self._now()))


NEWEST_ROWS = """
SELECT greatest(
    (SELECT at FROM audit ORDER BY id DESC LIMIT 1),
    (SELECT started_at FROM retention_runs ORDER BY id DESC LIMIT 1),
    (SELECT max(last_seen) FROM (
        SELECT last_seen FROM connections ORDER BY id DESC LIMIT 100) newest))"""


def _newest_row_at(conn: Conn) -> int | None:
    """The newest time written (audit, retention runs, the newest connection rows)."""
    row = conn.execute(NEWEST_ROWS).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _noop(conn: Conn) -> Any:
    return conn.execute("SELECT 1").fetchone()


def _usage(conn: Conn, license_id: int, now: int) -> LicenseUsage:
    catalog.license_by_id(conn, license_id)
    row = conn.execute(
        "SELECT count(*) FROM machines WHERE license_id = %s", (license_id,)
    ).fetchone()
    kinds = seats.seats_by_kind(conn, license_id, now)
    return LicenseUsage(
        sum(kinds.values()),
        int(row[0]) if row else 0,
        kinds.get(SeatKind.BORROWED, 0),
        kinds.get(SeatKind.OFFLINE, 0),
        node_locks.activated_count(conn, license_id),
    )
