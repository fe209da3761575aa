"""The webhook routes of /v1/admin described (OpenAPI 3.1): request schemas with the
limits of ``licmon.domain.webhooks``, the statuses each route answers."""

from typing import Any

from licmon.domain.webhooks import EVENT_TYPES, MAX_URL, DeliveryStatus
from licmon.web.openapi_admin import PAGING, READ_ERRORS, TIME, operation, post
from licmon.web.openapi_common import Schema, id_parameter, nullable, query_parameter

EVENTS: Schema = {
    "type": "array",
    "minItems": 1,
    "items": {"enum": list(EVENT_TYPES)},
    "example": ["license.created", "license.revoked"],
}
ENDPOINT: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "url", "events", "enabled", "created_at", "pending", "failed"],
    "properties": {
        "id": {"type": "integer"},
        "url": {"type": "string"},
        "events": {"type": "array", "items": {"enum": list(EVENT_TYPES)}},
        "enabled": {"type": "boolean"},
        "created_at": TIME,
        "pending": {"type": "integer", "minimum": 0, "description": "waiting for an attempt"},
        "failed": {"type": "integer", "minimum": 0, "description": "given up"},
    },
}
CREATED: Schema = {
    **ENDPOINT,
    "required": [*ENDPOINT["required"], "secret"],
    "properties": {
        **ENDPOINT["properties"],
        "secret": {
            "type": "string",
            "pattern": "^whsec_",
            "description": "The signing secret (Standard Webhooks), shown only here.",
        },
    },
}
DELIVERY: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "webhook",
        "webhook_id",
        "event",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "last_attempt_at",
        "last_result",
    ],
    "properties": {
        "id": {"type": "integer"},
        "webhook": {"type": "integer"},
        "webhook_id": {"type": "string", "description": "the webhook-id header, kept on retries"},
        "event": {"enum": list(EVENT_TYPES)},
        "status": {"enum": [status.value for status in DeliveryStatus]},
        "attempts": {"type": "integer", "minimum": 0},
        "created_at": TIME,
        "next_attempt_at": nullable(TIME),
        "last_attempt_at": nullable(TIME),
        "last_result": {"type": "string", "example": "HTTP 503"},
    },
}
NEW_ENDPOINT: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["url", "events"],
    "properties": {
        "url": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_URL,
            "description": "An absolute https URL (http too when webhook_require_https is "
            "false), without user:password@ or #fragment.",
            "example": "https://billing.example.com/licmon-events",
        },
        "events": EVENTS,
    },
}
EMPTY: Schema = {"type": "object", "additionalProperties": False, "maxProperties": 0}
DELETED: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "deleted"],
    "properties": {"id": {"type": "integer"}, "deleted": {"const": True}},
}
WEBHOOK_ID = id_parameter("webhook_id", "The webhook endpoint's id")
DELIVERY_ID = id_parameter("delivery_id", "The delivery's id (from the deliveries list)")
STATUS = query_parameter(
    "status", {"enum": [status.value for status in DeliveryStatus]}, "only this status"
)


def page(item: Schema) -> Schema:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": item},
            "next_cursor": {"type": ["string", "null"]},
        },
    }


WEBHOOK_PATHS: dict[str, Any] = {
    "/v1/admin/webhooks": {
        **post(
            "Add a webhook endpoint (scope webhooks:write); its secret is shown this once",
            (201, CREATED, "added, with its signing secret"),
            NEW_ENDPOINT,
        ),
        "get": operation(
            "Webhook endpoints",
            (200, page(ENDPOINT), "endpoints"),
            *READ_ERRORS,
            parameters=PAGING,
        ),
    },
    "/v1/admin/webhooks/{webhook_id}": {
        "get": operation(
            "One webhook endpoint",
            (200, ENDPOINT, "the endpoint"),
            *READ_ERRORS,
            404,
            parameters=[WEBHOOK_ID],
        ),
        "delete": operation(
            "Delete an endpoint and its deliveries (scope webhooks:write)",
            (200, DELETED, "deleted"),
            *READ_ERRORS,
            404,
            parameters=[WEBHOOK_ID],
        ),
    },
    "/v1/admin/webhooks/{webhook_id}/disable": post(
        "Disable an endpoint: no new events; its pending deliveries wait",
        (200, ENDPOINT, "the endpoint now"),
        EMPTY,
        404,
        parameters=[WEBHOOK_ID],
    ),
    "/v1/admin/webhooks/{webhook_id}/enable": post(
        "Enable a disabled endpoint again",
        (200, ENDPOINT, "the endpoint now"),
        EMPTY,
        404,
        parameters=[WEBHOOK_ID],
    ),
    "/v1/admin/webhooks/{webhook_id}/deliveries": {
        "get": operation(
            "The endpoint's deliveries, newest first",
            (200, page(DELIVERY), "deliveries"),
            *READ_ERRORS,
            404,
            parameters=[WEBHOOK_ID, *PAGING, STATUS],
        ),
    },
    "/v1/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": post(
        "Send a delivery again with the same webhook-id (scope webhooks:write)",
        (202, DELIVERY, "queued again; the worker sends it"),
        EMPTY,
        404,
        parameters=[WEBHOOK_ID, DELIVERY_ID],
    ),
}
