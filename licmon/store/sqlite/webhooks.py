"""SqliteStore's webhook methods: the shared ones, on SQLite's SQL."""

from licmon.store.sqlite import webhooks_sql
from licmon.store.sqlite.plumbing import SqlitePlumbing
from licmon.store.webhooks_methods import WebhookMethods


class SqliteWebhooks(WebhookMethods, SqlitePlumbing):
    webhook_sql = webhooks_sql
