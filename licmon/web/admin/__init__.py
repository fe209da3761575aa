"""The admin REST API under /v1/admin: personal API tokens with scopes, the console's roles
and organization scope, Idempotency-Key on every POST, cursor pagination."""
