"""The paged lists on PostgreSQL: ``ListingMethods`` on this backend's SQL."""

from licmon.store.listing_methods import ListingMethods
from licmon.store.postgres import listing_sql
from licmon.store.postgres.plumbing import PostgresPlumbing


class PostgresListing(ListingMethods, PostgresPlumbing):
    listing_sql = listing_sql
