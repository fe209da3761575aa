"""Placeholder: issue 12's store part replaces this file with PostgreSQL's listing."""

from licmon.store.listing_base import ListingStore
from licmon.store.postgres.pending import not_yet
from licmon.store.postgres.plumbing import PostgresPlumbing


class PostgresListing(ListingStore, PostgresPlumbing):
    pass


not_yet(PostgresListing, ListingStore)
