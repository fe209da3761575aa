"""Building blocks of the API description: error bodies, responses, parameters."""

from typing import Any

from licmon.domain.ids import MAX_ID

Schema = dict[str, Any]

ERROR: Schema = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    "example": {"error": "bad_request", "message": "Missing field(s): product."},
}
ERROR_MEANINGS = {
    400: "malformed request: bad JSON, a missing, unknown or invalid field or parameter",
    401: "no valid personal API token (Authorization: Bearer lmt_...)",
    403: "the token lacks the scope, or its owner's role does not allow this",
    404: "nothing at this address (also anything outside the token's organization)",
    409: "conflicts with the current state (e.g. a revoked license is final)",
    413: "the body is too large",
    415: "the body is not application/json in UTF-8",
    422: "this Idempotency-Key was used for a different request",
    429: "throttled; see Retry-After",
    503: "overloaded or the store is unavailable; see Retry-After",
}
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal staff API token (licmon user token add --scopes ...).",
    }
}


def pattern(regex: str) -> str:
    """A whole-string JSON Schema pattern from a Python ``fullmatch`` regular expression."""
    return f"^{regex}$"


def nullable(schema: Schema) -> Schema:
    kind = schema["type"]
    return {**schema, "type": [kind, "null"]}


def json_body(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def errors(*statuses: int) -> dict[str, Any]:
    return {str(status): json_body(ERROR, ERROR_MEANINGS[status]) for status in statuses}


def request_body(schema: Schema) -> Schema:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def id_parameter(name: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


def query_parameter(
    name: str, schema: Schema, description: str, *, required: bool = False
) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def raw(media: str, description: str, schema: Schema | None = None) -> Schema:
    return {
        "description": description,
        "content": {media: {"schema": schema or {"type": "string"}}},
    }
