"""SqliteStore's abuse-flag methods: ``FlagMethods`` on this backend's SQL."""

from licmon.store.flag_methods import FlagMethods
from licmon.store.sqlite import flags_sql, learned_sql, places_sql, vault
from licmon.store.sqlite.plumbing import SqlitePlumbing


class SqliteFlags(FlagMethods, SqlitePlumbing):
    flags_sql = flags_sql
    learned_sql = learned_sql
    places_sql = places_sql
    vault = vault
