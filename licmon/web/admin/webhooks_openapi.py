"""The webhook routes of /v1/admin as OpenAPI 3.1 path items, with exact request schemas
(the same limits as ``licmon.domain.webhooks``) and the statuses each route answers."""

from typing import Any

from licmon.domain.webhooks import EVENT_TYPES, MAX_URL, DeliveryStatus

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}
_WHEN = {"type": ["string", "null"], "format": "date-time"}
_EVENTS = {
    "type": "array",
    "minItems": 1,
    "items": {"enum": list(EVENT_TYPES)},
    "example": ["license.created", "license.revoked"],
}
_ENDPOINT = {
    "type": "object",
    "required": ["id", "url", "events", "enabled", "created_at", "pending", "failed"],
    "properties": {
        "id": {"type": "integer"},
        "url": {"type": "string"},
        "events": _EVENTS,
        "enabled": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
        "pending": {"type": "integer", "description": "deliveries waiting for an attempt"},
        "failed": {"type": "integer", "description": "deliveries given up"},
    },
}
_CREATED = {
    **_ENDPOINT,
    "required": [*_ENDPOINT["required"], "secret"],
    "properties": {
        **_ENDPOINT["properties"],  # type: ignore[dict-item]
        "secret": {
            "type": "string",
            "pattern": "^whsec_",
            "description": "the signing secret (Standard Webhooks), shown only here",
        },
    },
}
_DELIVERY = {
    "type": "object",
    "required": ["id", "webhook", "webhook_id", "event", "status", "attempts", "created_at"],
    "properties": {
        "id": {"type": "integer"},
        "webhook": {"type": "integer"},
        "webhook_id": {"type": "string", "description": "the webhook-id header, kept on retries"},
        "event": {"enum": list(EVENT_TYPES)},
        "status": {"enum": [status.value for status in DeliveryStatus]},
        "attempts": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
        "next_attempt_at": _WHEN,
        "last_attempt_at": _WHEN,
        "last_result": {"type": "string", "example": "HTTP 503"},
    },
}
_NEW = {
    "type": "object",
    "additionalProperties": False,
    "required": ["url", "events"],
    "properties": {
        "url": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_URL,
            "format": "uri",
            "example": "https://billing.example.com/licmon-events",
        },
        "events": _EVENTS,
    },
}
_EMPTY = {"type": "object", "additionalProperties": False, "maxProperties": 0}
_ID = {"type": "integer", "minimum": 1}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _page(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": item},
            "next_cursor": {"type": ["string", "null"]},
        },
    }


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): _json(_ERROR, "error") for status in statuses}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": _ID}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


SECURITY_SCHEMES = {"bearer": {"type": "http", "scheme": "bearer", "description": "lmt_..."}}
_AUTH: list[dict[str, list[str]]] = [{"bearer": []}]
_PAGING = [
    _query("cursor", {"type": "string", "maxLength": 64}),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
]
_IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def _write(summary: str, body: dict[str, Any], ok: str, answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": _AUTH,
        "parameters": [_IDEMPOTENCY],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {ok: answer, **_errors(400, 401, 403, 404, 409, 413, 415, 422)},
    }


def _read(summary: str, answer: dict[str, Any], query: list[Any]) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": _AUTH,
        "parameters": query,
        "responses": {"200": answer, **_errors(400, 401, 403, 404)},
    }


WEBHOOK_PATHS: dict[str, Any] = {
    "/v1/admin/webhooks": {
        "post": _write(
            "Add an endpoint (scope webhooks:write); its secret is shown once",
            _NEW,
            "201",
            _json(_CREATED, "the endpoint and its signing secret"),
        ),
        "get": _read("Endpoints", _json(_page(_ENDPOINT), "a page of endpoints"), _PAGING),
    },
    "/v1/admin/webhooks/{webhook_id}": {
        "parameters": [_path("webhook_id")],
        "get": _read("One endpoint", _json(_ENDPOINT, "the endpoint"), []),
        "delete": {
            "summary": "Delete an endpoint and its deliveries (scope webhooks:write)",
            "security": _AUTH,
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"id": _ID, "deleted": {"const": True}}},
                    "deleted",
                ),
                **_errors(400, 401, 403, 404),
            },
        },
    },
    "/v1/admin/webhooks/{webhook_id}/{action}": {
        "parameters": [
            _path("webhook_id"),
            {
                "name": "action",
                "in": "path",
                "required": True,
                "schema": {"enum": ["disable", "enable"]},
            },
        ],
        "post": _write(
            "Disable (pending deliveries wait) or enable an endpoint",
            _EMPTY,
            "200",
            _json(_ENDPOINT, "the endpoint"),
        ),
    },
    "/v1/admin/webhooks/{webhook_id}/deliveries": {
        "parameters": [_path("webhook_id")],
        "get": _read(
            "The endpoint's deliveries, newest first",
            _json(_page(_DELIVERY), "a page of deliveries"),
            [*_PAGING, _query("status", {"enum": [s.value for s in DeliveryStatus]})],
        ),
    },
    "/v1/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": {
        "parameters": [_path("webhook_id"), _path("delivery_id")],
        "post": _write(
            "Send a delivery again with the same webhook-id (scope webhooks:write)",
            _EMPTY,
            "202",
            _json(_DELIVERY, "queued again"),
        ),
    },
}
