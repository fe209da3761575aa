"""A real PostgreSQL 15 for the tests: one cluster per session, a fresh database per test.

The cluster lives in a temporary directory, listens on 127.0.0.1 on a free port and on a unix
socket in that directory. initdb refuses to run as root, so when the tests run as root the
server runs as the ``postgres`` system user. A fresh database is a copy of a migrated template
(``CREATE DATABASE ... TEMPLATE``), which takes milliseconds. When PostgreSQL is not installed
the tests that need it fail with one clear message (CI installs it): they never skip.
"""

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from licmon.store.postgres.connect import prepare_database

PG_BIN = Path(os.environ.get("LICMON_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
LOGIN_ROLE = "licmon_test"  # what licmon logs in as: not a superuser
TEMPLATE = "licmon_template"
_numbers = itertools.count(1)
# Stops the cluster and removes its directory once the session that started it is gone, even
# killed (the OOM killer, kill -9): it waits for the end of a pipe only that session holds.
WATCHDOG = """
import shutil, subprocess, sys
sys.stdin.read()
subprocess.run(sys.argv[2:], capture_output=True, check=False)
shutil.rmtree(sys.argv[1], ignore_errors=True)
"""
_WATCHDOGS: list["subprocess.Popen[bytes]"] = []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgCluster:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0
        self._template_ready = False
        self._watchdog: subprocess.Popen[bytes] | None = None

    def _command(self, *args: str) -> list[str]:
        command = [str(PG_BIN / args[0]), *args[1:]]
        return ["runuser", "-u", "postgres", "--", *command] if self._as_postgres else command

    def _run(self, *args: str) -> None:
        command = self._command(*args)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> None:
        if not (PG_BIN / "initdb").exists():
            pytest.fail(
                f"PostgreSQL 15 is not installed ({PG_BIN}/initdb missing): "
                "apt-get install postgresql (the PostgreSQL tests never skip)",
                pytrace=False,
            )
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c max_connections=300"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "start")  # fmt: skip
        stop = self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", WATCHDOG, str(self.root), *stop],
            stdin=subprocess.PIPE,
            start_new_session=True,
        )
        self.admin(f"CREATE ROLE {LOGIN_ROLE} LOGIN CREATEROLE")

    def stop(self) -> None:
        """Stop the server; the watchdog then removes its directory on its own time."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        if self._watchdog is not None:
            assert self._watchdog.stdin is not None
            self._watchdog.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._watchdog.wait(30)
            _WATCHDOGS.append(self._watchdog)  # if it still runs: never collected early

    def pause(self) -> None:
        """The server gone (as a crash would leave it), its directory kept for ``resume``."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def resume(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "start")  # fmt: skip

    def url(self, database: str, user: str = LOGIN_ROLE) -> str:
        host = quote(str(self.root), safe="")
        return f"postgresql://{user}@/{database}?host={host}&port={self.port}"

    def admin(self, *statements: str, database: str = "postgres") -> None:
        with psycopg.connect(self.url(database, "postgres"), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def empty_database(self) -> str:
        """A new database with nothing in it, owned by the login role; its URL."""
        name = f"licmon_{next(_numbers)}"
        self.admin(f"CREATE DATABASE {name} OWNER {LOGIN_ROLE}")
        return self.url(name)

    def fresh_database(self) -> str:
        """A new database migrated to the latest schema (a copy of the template); its URL."""
        if not self._template_ready:
            self._make_template()
        name = f"licmon_{next(_numbers)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} OWNER {LOGIN_ROLE}")
        return self.url(name)

    def _make_template(self) -> None:
        self.admin(f"CREATE DATABASE {TEMPLATE} OWNER {LOGIN_ROLE}")
        prepare_database(self.url(TEMPLATE))
        self._template_ready = True


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    root = Path(tempfile.mkdtemp(prefix="licmon-pg-"))
    cluster = PgCluster(root)
    try:
        cluster.start()
        yield cluster
    finally:
        if cluster.data.exists():
            with contextlib.suppress(RuntimeError):
                cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """The URL of a fresh, migrated database for this test alone."""
    return pg_cluster.fresh_database()
