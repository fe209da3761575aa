"""The staff console's token API (/staff/api) described: the same tokens as the admin
API, read-only, for dashboards and scripts."""

from typing import Any

from licmon.domain.reports import FORMATS
from licmon.reports import CONTENT_TYPES
from licmon.web.openapi_admin import LICENSE_ID, PRODUCT, SLUG
from licmon.web.openapi_common import BEARER, Schema, errors, json_body, query_parameter

COUNT = {"type": "integer", "minimum": 0}
ME: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "username", "roles", "org"],
    "properties": {
        "id": {"type": "integer"},
        "username": {"type": "string"},
        "roles": {"type": "array", "items": {"type": "string"}},
        "org": {"type": ["integer", "null"]},
    },
}
LICENSE_ROW: Schema = {
    "type": "object",
    "required": ["id", "org", "product", "status", "seats", "in_use", "machines"],
    "properties": {
        "id": {"type": "integer"},
        "org": SLUG,
        "org_name": {"type": "string"},
        "product": PRODUCT,
        "status": {"type": "string"},
        "seats": {"type": "integer"},
        "max_machines": {"type": "integer"},
        "valid_until": {"type": ["integer", "null"], "description": "epoch seconds"},
        "in_use": COUNT,
        "machines": COUNT,
    },
}
LICENSE_DETAIL: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "org",
        "product",
        "status",
        "seats",
        "seats_in_use",
        "seats_borrowed",
        "seats_offline",
        "machines",
    ],
    "properties": {
        "id": {"type": "integer"},
        "org": SLUG,
        "product": PRODUCT,
        "status": {"type": "string"},
        "seats": {"type": "integer"},
        "seats_in_use": COUNT,
        "seats_borrowed": COUNT,
        "seats_offline": COUNT,
        "machines": COUNT,
    },
}
REPORT_PARAMETERS = [
    query_parameter("since", {"type": "string", "pattern": r"^\d{1,4}[hdw]$"}, "a period: 30d"),
    query_parameter("from", {"type": "string", "format": "date"}, "start (UTC)"),
    query_parameter("until", {"type": "string", "format": "date"}, "end (UTC, inclusive)"),
    query_parameter("org", SLUG, "only this organization (staff)"),
    query_parameter("format", {"enum": list(FORMATS)}, "json (default), csv or html"),
]


def _get(summary: str, ok: dict[str, Any], *statuses: int, **extra: Any) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "tags": ["staff"],
            "security": BEARER,
            "responses": {"200": ok, **errors(401, 403, *statuses)},
            **extra,
        }
    }


STAFF_PATHS: dict[str, Any] = {
    "/staff/api/me": _get("The token's user, roles and organization", json_body(ME, "user")),
    "/staff/api/licenses": _get(
        "Licenses in the user's scope",
        json_body({"type": "array", "items": LICENSE_ROW}, "licenses"),
    ),
    "/staff/api/licenses/{license_id}": _get(
        "One license and its seat use",
        json_body(LICENSE_DETAIL, "license"),
        404,
        parameters=[LICENSE_ID],
    ),
    "/staff/api/reports/abuse": _get(
        "The abuse report",
        {
            "description": "report",
            "content": {CONTENT_TYPES[fmt].split(";")[0]: {} for fmt in FORMATS},
        },
        400,
        404,
        parameters=REPORT_PARAMETERS,
    ),
}
