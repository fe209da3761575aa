"""The API described (OpenAPI 3.1): the protocol here, the admin API and the console's token
API beside. Every limit comes from the validation's own constants; a test checks the paths
against the app's routes and runs schemathesis against a live server."""

from typing import Any

from licmon import __version__
from licmon.domain import license_keys
from licmon.domain.models import DenyReason
from licmon.domain.offline import MAX_DAYS
from licmon.domain.validation import (
    LEASE_ID_RE,
    MACHINE_LENGTH,
    MACHINE_RE,
    MAX_TIME_TEXT,
    NONCE_CHARS,
    NONCE_RE,
    PROCESS_RE,
    PRODUCT_RE,
    VERSION_RE,
)
from licmon.web.admin.webhooks_openapi import WEBHOOK_PATHS
from licmon.web.openapi_admin import ADMIN_PATHS, ADMIN_SCHEMAS
from licmon.web.openapi_common import (
    SECURITY_SCHEMES,
    Schema,
    errors,
    json_body,
    nullable,
    pattern,
    raw,
    request_body,
)
from licmon.web.openapi_staff import STAFF_PATHS

KEY: Schema = {
    "type": "string",
    "pattern": pattern(license_keys.written_pattern()),
    "description": "A license key as issued. Case, separators and look-alike characters do "
    "not matter; any other string is answered with the one invalid_key denial.",
    "example": "LM-7Q2KX-4M9TB-H3WZR-0PAEV-KD6NC-8YJ2S",
}
PRODUCT: Schema = {"type": "string", "pattern": pattern(PRODUCT_RE.pattern), "example": "viewer"}
MACHINE: Schema = {
    "type": "string",
    "pattern": pattern(MACHINE_RE.pattern),
    "minLength": MACHINE_LENGTH[0],
    "maxLength": MACHINE_LENGTH[1],
    "description": "An opaque fingerprint the client derives from its hardware.",
    "example": "host-9f2c61d04a7b",
}
NONCE: Schema = {
    "type": "string",
    "pattern": pattern(NONCE_RE.pattern),
    "minLength": NONCE_CHARS[0],
    "maxLength": NONCE_CHARS[1],
    "description": "base64url of 16-64 random bytes, echoed in the lease",
    "example": "q3v1oX8a0m2Jt7CkR5s9bA",
}
TIME = {"type": "string", "format": "date-time", "maxLength": MAX_TIME_TEXT}
PROCESS: Schema = {
    "oneOf": [
        {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
        {"type": "string", "pattern": pattern(PROCESS_RE.pattern)},
    ],
    "description": "The program instance on the machine (its process id).",
}
INSTANCE_FIELDS: dict[str, Schema] = {
    "process": PROCESS,
    "installation": {
        **NONCE,
        "description": "Lease chain: the installation's secret, base64url of 16-64 bytes.",
    },
    "previous": {
        "type": "string",
        "pattern": pattern(LEASE_ID_RE.pattern),
        "description": "Lease chain: the jti of the last lease this installation got "
        "(needs installation).",
    },
}
CHECKIN_FIELDS: dict[str, Schema] = {
    "key": KEY,
    "product": PRODUCT,
    "machine": MACHINE,
    "nonce": NONCE,
    "client_time": nullable(TIME),
    "app_version": nullable({"type": "string", "pattern": pattern(VERSION_RE.pattern)}),
    **INSTANCE_FIELDS,
}
CHECKIN: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "product", "machine", "nonce"],
    "properties": CHECKIN_FIELDS,
}
BORROW: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "product", "machine", "nonce", "days"],
    "properties": {
        **CHECKIN_FIELDS,
        "days": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS},
    },
}
RELEASE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "product", "machine"],
    "properties": {
        "key": KEY,
        "product": PRODUCT,
        "machine": MACHINE,
        "process": INSTANCE_FIELDS["process"],
    },
}
GRANTED: Schema = {
    "type": "object",
    "required": [
        "status",
        "renewed",
        "lease",
        "expires_at",
        "grace_until",
        "seats",
        "seats_in_use",
    ],
    "properties": {
        "status": {"const": "granted"},
        "renewed": {"type": "boolean"},
        "lease": {"type": "string", "description": "EdDSA JWT; verify it with the JWKS"},
        "expires_at": {"type": "string", "format": "date-time"},
        "grace_until": {"type": "string", "format": "date-time"},
        "seats": {"type": "integer"},
        "seats_in_use": {"type": "integer"},
    },
}
DENIED: Schema = {
    "type": "object",
    "required": ["status", "reason", "error", "message"],
    "properties": {
        "status": {"const": "denied"},
        "reason": {"enum": [*(r.value for r in DenyReason), "invalid_key"]},
        "error": {"const": "denied"},
        "message": {"type": "string"},
        "seats": {"type": "integer"},
        "seats_in_use": {"type": "integer"},
    },
    "example": {
        "status": "denied",
        "reason": "seats_exhausted",
        "error": "denied",
        "message": "Every seat of this license is in use.",
        "seats": 5,
        "seats_in_use": 5,
    },
}
RELEASED: Schema = {
    "type": "object",
    "required": ["status"],
    "properties": {"status": {"const": "released"}},
}
ANY_OBJECT: Schema = {"type": "object"}
READY: Schema = {
    "type": "object",
    "required": ["status", "checks"],
    "properties": {
        "status": {"enum": ["ready", "not_ready"]},
        "checks": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def _protocol(summary: str, body: Schema, ok: Schema) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "tags": ["protocol"],
            "requestBody": request_body(body),
            "responses": {
                "200": ok,
                "403": json_body(DENIED, "denied, or an invalid key"),
                **errors(400, 413, 415, 429, 503),
            },
        }
    }


def _get(summary: str, ok: Schema, *, more: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "get": {"summary": summary, "tags": ["service"], "responses": {"200": ok, **(more or {})}}
    }


DOCS_ASSET = {
    "name": "asset",
    "in": "path",
    "required": True,
    "schema": {"enum": ["swagger-ui-bundle.js", "swagger-ui.css", "docs.js"]},
}
PROTOCOL_PATHS: dict[str, Any] = {
    "/v1/checkin": _protocol(
        "Check in: take or renew a seat and get a signed lease",
        CHECKIN,
        json_body(GRANTED, "granted"),
    ),
    "/v1/borrow": _protocol(
        "Borrow a seat for days (within max_borrow_days); return it with /v1/release",
        BORROW,
        json_body(GRANTED, "granted; the lease's exp is days ahead"),
    ),
    "/v1/release": _protocol(
        "Release the machine's seat", RELEASE, json_body(RELEASED, "released")
    ),
    "/.well-known/jwks.json": _get(
        "Public keys that verify leases",
        json_body(
            {"type": "object", "required": ["keys"], "properties": {"keys": {"type": "array"}}},
            "JWKS",
        ),
    ),
    "/healthz": _get("Liveness", json_body(ANY_OBJECT, "alive")),
    "/readyz": _get(
        "Readiness: store writable, GeoIP state",
        json_body(READY, "ready"),
        more={"503": json_body(READY, "not ready")},
    ),
    "/metrics": _get("Prometheus metrics", raw("text/plain", "exposition format")),
    "/openapi.json": _get("This description", json_body(ANY_OBJECT, "OpenAPI document")),
    "/docs": _get("This description as a browsable page", raw("text/html", "page")),
    "/docs/{asset}": {
        "get": {
            "summary": "The browsable page's scripts and styles",
            "tags": ["service"],
            "parameters": [DOCS_ASSET],
            "responses": {
                "200": {
                    "description": "file",
                    "content": {"text/javascript": {}, "text/css": {}},
                },
                **errors(404),
            },
        }
    },
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "licmon",
        "version": __version__,
        "description": "The check-in protocol, the admin API (/v1/admin, personal API tokens "
        "with scopes) and the staff console's token API.",
    },
    "paths": {**PROTOCOL_PATHS, **ADMIN_PATHS, **WEBHOOK_PATHS, **STAFF_PATHS},
    "components": {"securitySchemes": SECURITY_SCHEMES, "schemas": ADMIN_SCHEMAS},
}
