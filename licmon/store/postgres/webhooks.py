"""PostgresStore's webhook methods: the shared ones, on PostgreSQL's SQL, as licmon's
normal role."""

from licmon.store.postgres import webhooks_sql
from licmon.store.postgres.plumbing import PostgresPlumbing
from licmon.store.webhooks_methods import WebhookMethods


class PostgresWebhooks(WebhookMethods, PostgresPlumbing):
    webhook_sql = webhooks_sql
