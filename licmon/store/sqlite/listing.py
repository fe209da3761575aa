"""The paged lists on SQLite: ``ListingMethods`` on this backend's SQL."""

from licmon.store.listing_methods import ListingMethods
from licmon.store.sqlite import listing_sql
from licmon.store.sqlite.plumbing import SqlitePlumbing


class SqliteListing(ListingMethods, SqlitePlumbing):
    listing_sql = listing_sql
