"""Placeholder: issue 12's store part replaces this file with PostgreSQL's privacy."""

from licmon.store.postgres.pending import PRIVACY_METHODS, not_yet
from licmon.store.postgres.plumbing import PostgresPlumbing


class PostgresPrivacy(PostgresPlumbing):
    pass


not_yet(PostgresPrivacy, names=PRIVACY_METHODS)
