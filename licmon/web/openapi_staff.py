"""The staff console's token API (/staff/api) described: the same tokens as the admin
API, read-only, for dashboards and scripts."""

from typing import Any

from licmon.domain.reports import FORMATS
from licmon.reports import CONTENT_TYPES
from licmon.web.openapi_admin import LICENSE_ID, PRODUCT, SLUG
from licmon.web.openapi_common import (
    BEARER,
    Schema,
    errors,
    json_body,
    query_parameter,
    request_body,
)

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
        "machines_activated": COUNT,
        "activation_limit": COUNT,
        "lock_moves": COUNT,
        "lock_move_days": {"type": "integer", "minimum": 1},
        "overage_percent": {"type": "integer", "minimum": 0, "maximum": 100},
        "max_processes": COUNT,
        "refuse_cloned": {"type": "boolean"},
    },
}
REPORT_PARAMETERS = [
    query_parameter("since", {"type": "string", "pattern": r"^\d{1,4}[hdw]$"}, "a period: 30d"),
    query_parameter("from", {"type": "string", "format": "date"}, "start (UTC)"),
    query_parameter("until", {"type": "string", "format": "date"}, "end (UTC, inclusive)"),
    query_parameter("org", SLUG, "only this organization (staff)"),
    query_parameter("format", {"enum": list(FORMATS)}, "json (default), csv or html"),
]
PLACE: Schema = {
    "type": "object",
    "required": ["org", "network"],
    "additionalProperties": False,
    "properties": {
        "org": SLUG,
        "network": {"type": "string", "description": "CIDR, at most a /8 (IPv6 /16)"},
        "kind": {"enum": ["office", "vpn"], "default": "office"},
        "label": {"type": "string", "maxLength": 200},
    },
}
PLACE_ORG = query_parameter("org", SLUG, "only this organization (staff)")
PLACE_NETWORK = query_parameter("network", {"type": "string"}, "the declared CIDR", required=True)


def _write(summary: str, ok: dict[str, Any], *statuses: int, **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": ["staff"],
        "security": BEARER,
        "responses": {**ok, **errors(400, 401, 403, 404, *statuses)},
        **extra,
    }


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
    "/staff/api/places": {  # known places (issue 15); writes need licenses:write
        **_get(
            "Known places in the user's scope",
            json_body({"type": "array", "items": PLACE}, "places"),
            404,
            parameters=[PLACE_ORG],
        ),
        "post": _write(
            "Declare a network of an organization as an office or VPN egress",
            {"201": json_body(PLACE, "declared")},
            409,
            415,
            requestBody=request_body(PLACE),
        ),
        "delete": _write(
            "Withdraw a declared network",
            {"204": {"description": "withdrawn"}},
            parameters=[{**PLACE_ORG, "required": True}, PLACE_NETWORK],
        ),
    },
}
