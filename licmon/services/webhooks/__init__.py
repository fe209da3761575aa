"""Webhooks: endpoints managed by staff, events from the store's outbox, signed deliveries."""
