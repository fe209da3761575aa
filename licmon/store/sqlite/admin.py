"""SqliteStore's admin-API methods: the shared ones over SQLite's ``admin_sql``."""

from licmon.store.admin_methods import AdminMethods
from licmon.store.sqlite import admin_sql, node_locks
from licmon.store.sqlite.plumbing import SqlitePlumbing


class SqliteAdmin(AdminMethods, SqlitePlumbing):
    admin_sql = admin_sql
    node_locks = node_locks
