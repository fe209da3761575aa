"""Placeholder: issue 12's store part replaces this file with PostgreSQL's flags."""

from licmon.store.flags_base import FlagStore
from licmon.store.postgres.pending import not_yet
from licmon.store.postgres.plumbing import PostgresPlumbing


class PostgresFlags(FlagStore, PostgresPlumbing):
    pass


not_yet(PostgresFlags, FlagStore)
