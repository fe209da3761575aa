"""The embedded SQLite backend: every SQL statement licmon sends to SQLite lives in this package."""

from licmon.store.sqlite.store import SqliteStore, connect, prepare_database

__all__ = ["SqliteStore", "connect", "prepare_database"]
