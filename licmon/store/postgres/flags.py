"""PostgresStore's abuse-flag methods: ``FlagMethods`` on this backend's SQL."""

from licmon.store.flag_methods import FlagMethods
from licmon.store.postgres import flags_sql, learned_sql, places_sql, vault
from licmon.store.postgres.plumbing import PostgresPlumbing


class PostgresFlags(FlagMethods, PostgresPlumbing):
    flags_sql = flags_sql
    learned_sql = learned_sql
    places_sql = places_sql
    vault = vault
