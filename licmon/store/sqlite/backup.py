"""Online, encrypted backup and checked restore of the SQLite database.

Backup uses SQLite's online backup API in one step: one read transaction copies every page
of one committed state, while the server keeps writing (WAL readers never block writers).
The copy is made in the data directory (where the database already is), checked, then
encrypted (``sealed_file``) to a scratch file beside its destination, synced and renamed
into place, so a destination is either absent or a complete encrypted backup with its
deadline. Restore refuses a file that is not an intact licmon database, or one written by a
newer licmon; it lets the caller bring the copy inside the rules (erasure ledger, retention,
audit) before it replaces the database with one rename, and keeps the previous file beside
it, encrypted, with the same deadline.
"""

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from licmon.errors import Conflict, LicmonError, NotFound
from licmon.store import sealed_file
from licmon.store.sqlite import migrations

SQLITE_HEADER = b"SQLite format 3\x00"
MIGRATION_SET = "licmon"
SUFFIX = ".lmbk"
Prepare = Callable[[Path, int | None], None]


class BadBackup(LicmonError):
    """A file offered as a licmon database is not one, or not one this version can use."""

    status = 400
    code = "bad_backup"


@dataclass(frozen=True, slots=True)
class Sealing:
    """How a backup is sealed: the key, and when it was taken and must be gone."""

    key: bytes
    taken_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class DatabaseInfo:
    path: Path
    size: int
    migrations: tuple[str, ...]
    pending: tuple[str, ...]
    licenses: int


def known_migrations() -> tuple[str, ...]:
    """The migrations this version of licmon knows, in order."""
    empty = Database(memory=True)
    try:
        return tuple(m.name for m in migrations.migrations.pending(empty))
    finally:
        empty.close()


def backup(source: Path, dest: Path, sealing: Sealing, *, overwrite: bool = False) -> DatabaseInfo:
    """Copy the live database at ``source``, encrypted, to ``dest`` (a file, or a directory
    to put one in)."""
    if not source.is_file():
        raise NotFound(f"database {source} does not exist")
    target = _backup_target(dest)
    if target.resolve().parent == source.resolve().parent and target.name.startswith(source.name):
        raise Conflict(f"{target} is the database itself, or one of its files")
    if target.exists() and not overwrite:
        raise Conflict(f"{target} already exists (use --force to replace it)")
    scratch = source.with_name(source.name + ".backup")
    _remove_stale(scratch)
    with _partial(scratch) as plain:
        info = _copy_checked(source, plain)
        with _partial(target) as partial:
            _seal(plain, partial, sealing)
            os.replace(partial, target)
    _sync_dir(target.parent)
    return _with_path(info, target)


def check(path: Path) -> DatabaseInfo:
    """What a licmon database holds; BadBackup when it is damaged or not licmon's."""
    if not path.is_file():
        raise NotFound(f"{path} does not exist")
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BadBackup(f"{path} is not a SQLite database")
    conn = _open(path, "ro")
    try:
        return _inspect(conn, path)
    except sqlite3.DatabaseError as exc:
        raise BadBackup(f"{path} is damaged or unreadable ({exc})") from None
    finally:
        conn.close()


def restore(
    source: Path, database: Path, sealing: Sealing, prepare: Prepare
) -> tuple[DatabaseInfo, Path | None]:
    """Replace ``database`` with a checked copy of ``source`` (encrypted with
    ``sealing.key``, or a plain licmon database); returns where the old one went.

    ``prepare(copy, taken_at)`` runs on the copy before it replaces anything (taken_at:
    None for a plain file). The caller makes sure no server runs; this refuses when any
    process has the file open.
    """
    database.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _quiesce(database)
    with _partial(database) as partial:
        taken_at = _plain_copy(source, partial, sealing.key)
        check(partial)
        prepare(partial, taken_at)
        _settle(partial)
        info = check(partial)
        kept = _keep_previous(database, sealing)
        os.replace(partial, database)
    _sync_dir(database.parent)
    return _with_path(info, database), kept


def expired(directory: Path, now: int) -> list[Path]:
    """Encrypted backups in ``directory`` whose deadline has passed."""
    if not directory.is_dir():
        raise NotFound(f"directory {directory} does not exist")
    found = []
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        header = sealed_file.read_header(path)
        if header is not None and header.expires_at <= now:
            found.append(path)
    return found


def expired_plain_copies(database: Path, keep_seconds: int, now: int) -> list[Path]:
    """Plain ``before-restore`` copies an older licmon kept (no header, so no deadline of
    their own): expired ``keep_seconds`` after they were made."""
    return [
        path
        for path in sorted(database.parent.glob(f"{database.name}.before-restore-*"))
        if path.suffix != SUFFIX and path.stat().st_mtime + keep_seconds <= now
    ]


# -- helpers
def _open(path: Path, mode: str) -> sqlite3.Connection:
    uri = f"file:{path.resolve()}?mode={mode}"
    try:
        return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=10)
    except sqlite3.Error as exc:
        raise BadBackup(f"{path} cannot be opened ({exc})") from None


def _copy_checked(source: Path, partial: Path) -> DatabaseInfo:
    """Copy ``source`` into ``partial`` and check the copy before anyone relies on it."""
    src = _open(source, "ro")
    try:
        _copy(src, partial)
    finally:
        src.close()
    return check(partial)


def _copy(src: sqlite3.Connection, partial: Path) -> None:
    """Every page in one step (pages=-1), from one committed state; the copy is one
    self-contained file (rollback journal: licmon switches it to WAL when it opens it)."""
    dst = sqlite3.connect(partial, isolation_level=None)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.Error as exc:
        raise BadBackup(f"the copy failed ({exc})") from None
    finally:
        dst.close()
    _fsync(partial)


def _inspect(conn: sqlite3.Connection, path: Path) -> DatabaseInfo:
    (verdict,) = conn.execute("PRAGMA integrity_check(1)").fetchone()
    if verdict != "ok":
        raise BadBackup(f"{path} is damaged: {verdict}")
    applied = _applied_migrations(conn, path)
    known = known_migrations()
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise BadBackup(f"{path} was written by a newer licmon (migrations {', '.join(unknown)})")
    (licenses,) = conn.execute("SELECT count(*) FROM licenses").fetchone()
    pending = tuple(name for name in known if name not in applied)
    return DatabaseInfo(path, path.stat().st_size, applied, pending, int(licenses))


def _applied_migrations(conn: sqlite3.Connection, path: Path) -> tuple[str, ...]:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
    ).fetchone()
    query = "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id"
    rows = conn.execute(query, (MIGRATION_SET,)).fetchall() if exists else []
    if not rows:
        raise BadBackup(f"{path} is not a licmon database (no licmon migrations)")
    return tuple(name for (name,) in rows)


def _quiesce(database: Path) -> None:
    """Fold the WAL into the file and prove no other process has the database open."""
    if not database.exists():
        return
    conn = sqlite3.connect(database, isolation_level=None, timeout=0)
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("ROLLBACK")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError:
        raise Conflict(f"database {database} is in use: stop licmon first") from None
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            wal = database.with_name(database.name + suffix)
            if suffix == "-wal" and wal.stat().st_size:
                raise Conflict(f"database {database} is in use: stop licmon first")
            wal.unlink()


def _keep_previous(database: Path, sealing: Sealing) -> Path | None:
    """The database being replaced, encrypted beside it with the backups' deadline."""
    if not database.exists():
        return None
    kept = database.with_name(f"{database.name}.before-restore-{_stamp()}{SUFFIX}")
    with _partial(kept) as partial:
        _seal(database, partial, sealing)
        os.replace(partial, kept)
    return kept


def _seal(plain: Path, partial: Path, sealing: Sealing) -> None:
    header = sealed_file.new_header(sealing.key, sealing.taken_at, sealing.expires_at)
    try:
        sealed_file.encrypt(plain, partial, sealing.key, header)
    except OSError as exc:
        raise LicmonError(f"cannot write {partial.parent}: {exc.strerror}") from None


def _plain_copy(source: Path, partial: Path, key: bytes) -> int | None:
    """The backup's database in ``partial``; when it was taken (None: a plain file)."""
    if not source.is_file():
        raise NotFound(f"{source} does not exist")
    if not sealed_file.is_sealed(source):
        check(source)
        src = _open(source, "ro")
        try:
            _copy(src, partial)
        finally:
            src.close()
        return None
    try:
        return sealed_file.decrypt(source, partial, key).taken_at
    except sealed_file.SealedFileError as exc:
        raise BadBackup(exc.message) from None


def _settle(path: Path) -> None:
    """Fold the copy's WAL back in: one self-contained file, before it is renamed."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()
    _fsync(path)


@contextlib.contextmanager
def _partial(target: Path) -> Iterator[Path]:
    """An owner-only scratch file beside ``target``, removed unless renamed into place."""
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    _remove_with_sidecars(partial)
    try:
        os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise LicmonError(f"cannot write in {target.parent}: {exc.strerror}") from None
    try:
        yield partial
    finally:
        _remove_with_sidecars(partial)


def _remove_stale(target: Path) -> None:
    """Scratch files a backup killed half-way left behind (their process is gone)."""
    for path in target.parent.glob(f".{target.name}.partial-*"):
        pid = path.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            _remove_with_sidecars(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_with_sidecars(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()


def _backup_target(dest: Path) -> Path:
    if dest.is_dir():
        return dest / f"licmon-{_stamp()}{SUFFIX}"
    if not dest.parent.is_dir():
        raise NotFound(f"directory {dest.parent} does not exist")
    return dest


def _with_path(info: DatabaseInfo, path: Path) -> DatabaseInfo:
    return DatabaseInfo(path, path.stat().st_size, info.migrations, info.pending, info.licenses)


def _stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync(directory)
