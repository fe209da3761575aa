"""The admin API described: schemas built from the same tables as the validation
(``domain.terms``, ``domain.admin_bodies``, ``domain.cursors``, ``domain.idempotency``)."""

from typing import Any

from licmon.domain import license_keys
from licmon.domain.admin_bodies import (
    DECISIONS,
    FLAG_STATUSES,
    LICENSE_STATUSES,
    NAME_RE,
    ORG_SLUG_RE,
    REASON_LENGTH,
    RETENTION_DAYS,
)
from licmon.domain.cursors import MAX_CURSOR, MAX_LIMIT
from licmon.domain.idempotency import HEADER, KEY_RE
from licmon.domain.models import IpPrecision, SeatKind
from licmon.domain.terms import MAX_ITEMS, MAX_TEXT, TERM_FIELDS, TermField
from licmon.domain.validation import PRODUCT_RE
from licmon.web.openapi_common import (
    BEARER,
    Schema,
    errors,
    id_parameter,
    json_body,
    nullable,
    pattern,
    query_parameter,
    request_body,
)

TIME: Schema = {"type": "string", "format": "date-time"}
SLUG: Schema = {"type": "string", "pattern": pattern(ORG_SLUG_RE.pattern), "example": "acme"}
PRODUCT: Schema = {"type": "string", "pattern": pattern(PRODUCT_RE.pattern), "example": "viewer"}
NAME: Schema = {"type": "string", "pattern": pattern(NAME_RE.pattern), "example": "Acme Ltd"}
REASON: Schema = {
    "type": "string",
    "minLength": REASON_LENGTH[0],
    "maxLength": REASON_LENGTH[1],
    "pattern": r"^\S(.*\S)?$",
    "description": "Why, in the audit log (addresses are redacted).",
    "example": "invoice 2291 unpaid",
}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def term_schema(spec: TermField) -> Schema:
    """One field of LicenseTerms as JSON Schema, from the limits the validation applies."""
    schema: Schema
    if spec.kind == "time":
        schema = dict(TIME)
    elif spec.kind == "list":
        item = {"type": "string", "pattern": pattern(spec.item.pattern)}
        schema = {"type": "array", "items": item, "maxItems": MAX_ITEMS}
    elif spec.kind == "integer":
        schema = {"type": "integer", "minimum": spec.limits[0], "maximum": spec.limits[1]}
    elif spec.kind == "boolean":
        schema = {"type": "boolean"}
    else:
        schema = {"type": "string", "maxLength": MAX_TEXT}
    return nullable(schema) if spec.nullable else schema


TERMS = {name: term_schema(spec) for name, spec in TERM_FIELDS.items()}
SHOWN_TERMS = {
    name: nullable(TIME) if spec.kind == "time" else TERMS[name]
    for name, spec in TERM_FIELDS.items()
}
USAGE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["seats_in_use", "seats_borrowed", "seats_offline", "machines"],
    "properties": {
        name: {"type": "integer", "minimum": 0}
        for name in ("seats_in_use", "seats_borrowed", "seats_offline", "machines")
    },
}
LICENSE_IDENTITY = {
    "id": {"type": "integer"},
    "org": SLUG,
    "product": PRODUCT,
    "status": {"enum": list(LICENSE_STATUSES)},
    "created_at": nullable(TIME),
}
LICENSE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": [*LICENSE_IDENTITY, *SHOWN_TERMS],
    "properties": {**LICENSE_IDENTITY, **SHOWN_TERMS, "usage": USAGE},
}
CREATED_LICENSE: Schema = {
    **LICENSE,
    "required": [*LICENSE["required"], "key"],
    "properties": {
        **LICENSE["properties"],
        "key": {
            "type": "string",
            "pattern": pattern(license_keys.written_pattern()),
            "description": "The license key: shown in this answer only, never stored.",
        },
    },
}
NEW_LICENSE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["org", "product"],
    "properties": {"org": SLUG, "product": PRODUCT, **TERMS},
    "example": {"org": "acme", "product": "viewer", "seats": 5, "entitlements": ["export"]},
}
TERMS_CHANGE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": TERMS,
    "example": {"seats": 10, "valid_until": "2027-12-31T23:59:59Z"},
}
ORG: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "slug", "name", "ip_precision", "retention_days"],
    "properties": {
        "id": {"type": "integer"},
        "slug": SLUG,
        "name": {"type": "string"},
        "ip_precision": {"enum": [p.value for p in IpPrecision]},
        "retention_days": {"type": "integer"},
    },
}
NEW_ORG: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["slug"],
    "properties": {
        "slug": SLUG,
        "name": NAME,
        "ip_precision": {"enum": [p.value for p in IpPrecision]},
        "retention_days": {
            "type": "integer",
            "minimum": RETENTION_DAYS[0],
            "maximum": RETENTION_DAYS[1],
        },
    },
    "example": {"slug": "acme", "name": "Acme Ltd", "ip_precision": "network"},
}
PRODUCT_VIEW: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "code", "name"],
    "properties": {"id": {"type": "integer"}, "code": PRODUCT, "name": {"type": "string"}},
}
NEW_PRODUCT: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["code"],
    "properties": {"code": PRODUCT, "name": NAME},
    "example": {"code": "viewer", "name": "Viewer"},
}
MACHINE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "license", "fingerprint", "first_seen", "last_seen", "seat", "seat_expires"],
    "properties": {
        "id": {"type": "integer"},
        "license": {"type": "integer"},
        "fingerprint": {"type": "string"},
        "first_seen": TIME,
        "last_seen": TIME,
        "seat": {"enum": [*(kind.value for kind in SeatKind), None]},
        "seat_expires": nullable(TIME),
    },
}
FLAG: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "kind",
        "severity",
        "status",
        "count",
        "license",
        "first_seen",
        "last_seen",
        "decided_at",
        "decision_reason",
    ],
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string"},
        "severity": {"type": "string"},
        "status": {"enum": list(FLAG_STATUSES)},
        "count": {"type": "integer"},
        "license": {"type": ["integer", "null"]},
        "first_seen": TIME,
        "last_seen": TIME,
        "decided_at": nullable(TIME),
        "decision_reason": {"type": ["string", "null"]},
        "decided_by": {"type": ["string", "null"], "description": "vendor staff only"},
    },
}
DECISION: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["status", "reason"],
    "properties": {
        "status": {"enum": [status.value for status in DECISIONS]},
        "reason": REASON,
        "suspend": {"type": "boolean", "description": "a confirmation also suspends"},
    },
    "example": {"status": "confirmed", "reason": "shared across three sites", "suspend": True},
}
REASON_BODY: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["reason"],
    "properties": {"reason": REASON},
    "example": {"reason": "invoice 2291 unpaid"},
}
ADMIN_SCHEMAS = {
    "License": LICENSE,
    "CreatedLicense": CREATED_LICENSE,
    "NewLicense": NEW_LICENSE,
    "TermsChange": TERMS_CHANGE,
    "Org": ORG,
    "NewOrg": NEW_ORG,
    "Product": PRODUCT_VIEW,
    "NewProduct": NEW_PRODUCT,
    "Machine": MACHINE,
    "Flag": FLAG,
    "Decision": DECISION,
    "Reason": REASON_BODY,
}


def page(item: str) -> Schema:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": ref(item)},
            "next_cursor": {"type": ["string", "null"], "maxLength": MAX_CURSOR},
        },
    }


def items(item: str) -> Schema:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": ref(item)}},
    }


IDEMPOTENCY = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "A retry with the same key (same person, same route) gets the first "
    "answer; another body with it is refused (422). Kept 24 hours.",
    "schema": {"type": "string", "pattern": pattern(KEY_RE.pattern), "maxLength": 255},
}
PAGING = [
    query_parameter(
        "cursor", {"type": "string", "maxLength": MAX_CURSOR}, "next_cursor of the previous page"
    ),
    query_parameter("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "page size"),
]
LICENSE_ID = id_parameter("license_id", "The license's id")
FLAG_ID = id_parameter("flag_id", "The flag's id")
MACHINE_ID = id_parameter("machine_id", "The machine's id (from the machines list)")
READ_ERRORS = (400, 401, 403)
WRITE_ERRORS = (400, 401, 403, 413, 415)


def operation(
    summary: str,
    ok: tuple[int, Schema, str],
    *statuses: int,
    body: Schema | None = None,
    parameters: list[Schema] | None = None,
) -> dict[str, Any]:
    status, schema, description = ok
    op: dict[str, Any] = {
        "summary": summary,
        "tags": ["admin"],
        "security": BEARER,
        "parameters": parameters or [],
        "responses": {str(status): json_body(schema, description), **errors(*sorted(statuses))},
    }
    if body is not None:
        op["requestBody"] = request_body(body)
    return op


def post(
    summary: str, ok: tuple[int, Schema, str], body: Schema, *statuses: int, **kw: Any
) -> dict[str, Any]:
    parameters = [*kw.pop("parameters", []), IDEMPOTENCY]
    return {
        "post": operation(
            summary, ok, *WRITE_ERRORS, 409, 422, *statuses, body=body, parameters=parameters
        )
    }


def _status_change(verb: str) -> dict[str, Any]:
    return post(
        f"{verb} the license, with a reason (audited)",
        (200, ref("License"), "the license now"),
        ref("Reason"),
        404,
        parameters=[LICENSE_ID],
    )


ADMIN_PATHS: dict[str, Any] = {
    "/v1/admin/orgs": {
        **post("Add an organization", (201, ref("Org"), "added"), ref("NewOrg")),
        "get": operation(
            "Organizations (a customer's token: its own)",
            (200, items("Org"), "organizations"),
            *READ_ERRORS,
        ),
    },
    "/v1/admin/products": {
        **post("Add a product", (201, ref("Product"), "added"), ref("NewProduct")),
        "get": operation("Products", (200, items("Product"), "products"), *READ_ERRORS),
    },
    "/v1/admin/licenses": {
        **post(
            "Issue a license; the answer holds its key, shown this once",
            (201, ref("CreatedLicense"), "issued"),
            ref("NewLicense"),
            404,
        ),
        "get": operation(
            "Licenses by id, a page at a time (a customer's token: its organization's)",
            (200, page("License"), "one page"),
            *READ_ERRORS,
            parameters=[
                *PAGING,
                query_parameter("org", SLUG, "only this organization's"),
                query_parameter("product", PRODUCT, "only this product's"),
                query_parameter("status", {"enum": list(LICENSE_STATUSES)}, "only in this status"),
            ],
        ),
    },
    "/v1/admin/licenses/{license_id}": {
        "get": operation(
            "One license, its terms and seat use",
            (200, ref("License"), "the license"),
            *READ_ERRORS,
            404,
            parameters=[LICENSE_ID],
        ),
        "patch": operation(
            "Change a license's terms (any of them; audited)",
            (200, ref("License"), "the license now"),
            *WRITE_ERRORS,
            404,
            409,
            body=ref("TermsChange"),
            parameters=[LICENSE_ID],
        ),
    },
    "/v1/admin/licenses/{license_id}/suspend": _status_change("Suspend"),
    "/v1/admin/licenses/{license_id}/resume": _status_change("Resume"),
    "/v1/admin/licenses/{license_id}/revoke": _status_change("Revoke (final)"),
    "/v1/admin/licenses/{license_id}/machines": {
        "get": operation(
            "The machines a license has seen, and the seat each holds",
            (200, page("Machine"), "one page"),
            *READ_ERRORS,
            404,
            parameters=[LICENSE_ID, *PAGING],
        )
    },
    "/v1/admin/licenses/{license_id}/machines/{machine_id}": {
        "delete": operation(
            "Deactivate a machine: its seat is free at once (audited with the reason)",
            (200, ref("Machine"), "the machine now"),
            *READ_ERRORS,
            404,
            parameters=[
                LICENSE_ID,
                MACHINE_ID,
                query_parameter("reason", REASON, "why (audited)", required=True),
            ],
        )
    },
    "/v1/admin/flags": {
        "get": operation(
            "Abuse flags by id, without evidence",
            (200, page("Flag"), "one page"),
            *READ_ERRORS,
            parameters=[
                *PAGING,
                query_parameter("status", {"enum": list(FLAG_STATUSES)}, "only in this status"),
                query_parameter("kind", {"type": "string", "maxLength": 64}, "only of this kind"),
                query_parameter(
                    "license", {"type": "integer", "minimum": 1}, "only this license's"
                ),
            ],
        )
    },
    "/v1/admin/flags/{flag_id}": {
        "get": operation(
            "One flag, without evidence",
            (200, ref("Flag"), "the flag"),
            *READ_ERRORS,
            404,
            parameters=[FLAG_ID],
        )
    },
    "/v1/admin/flags/{flag_id}/decision": post(
        "Acknowledge, confirm or dismiss a flag (audited)",
        (200, ref("Flag"), "the flag now"),
        ref("Decision"),
        404,
        parameters=[FLAG_ID],
    ),
}
