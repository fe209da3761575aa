"""The API described (OpenAPI 3.1). A test checks it against the app's routes."""

from typing import Any

from licmon import __version__
from licmon.domain.models import DenyReason

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}
_DENIED = {
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
}
_PRODUCT = {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,63}$"}
_MACHINE = {"type": "string", "pattern": "^[\\x21-\\x7e]{8,128}$"}
_KEY = {"type": "string", "maxLength": 64, "example": "LM-7Q2KX-..."}
_PROCESS = {
    "oneOf": [
        {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
        {"type": "string", "pattern": "^[\\x21-\\x7e]{1,64}$"},
    ],
    "description": "the program instance on the machine (its process id)",
}
_CHECKIN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "product", "machine", "nonce"],
    "properties": {
        "key": _KEY,
        "product": _PRODUCT,
        "machine": _MACHINE,
        "nonce": {"type": "string", "description": "base64url of 16-64 random bytes"},
        "client_time": {"type": "string", "format": "date-time"},
        "app_version": {"type": "string", "maxLength": 64},
        "process": _PROCESS,
        "installation": {
            "type": "string",
            "description": "lease chain: the installation's secret, base64url of 16-64 bytes",
        },
        "previous": {
            "type": "string",
            "pattern": "^[A-Za-z0-9_-]{16,64}$",
            "description": "lease chain: the jti of the last lease this installation got",
        },
    },
}
_BORROW = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "product", "machine", "nonce", "days"],
    "properties": {
        **_CHECKIN["properties"],  # type: ignore[dict-item]
        "days": {"type": "integer", "minimum": 1, "maximum": 3650},
    },
}
_RELEASE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "product", "machine"],
    "properties": {"key": _KEY, "product": _PRODUCT, "machine": _MACHINE, "process": _PROCESS},
}
_GRANTED = {
    "type": "object",
    "required": ["status", "lease", "expires_at", "seats", "seats_in_use"],
    "properties": {
        "status": {"const": "granted"},
        "renewed": {"type": "boolean"},
        "lease": {"type": "string", "description": "EdDSA JWT; verify with the JWKS"},
        "expires_at": {"type": "string", "format": "date-time"},
        "grace_until": {"type": "string", "format": "date-time"},
        "seats": {"type": "integer"},
        "seats_in_use": {"type": "integer"},
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): _json(_ERROR, "error") for status in statuses}


def _post(summary: str, body: dict[str, Any], ok: dict[str, Any]) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {
                "200": ok,
                "403": _json(_DENIED, "denied, or an invalid key"),
                "429": _json(_ERROR, "throttled; see Retry-After"),
                **_errors(400, 413, 415),
            },
        }
    }


def _get(summary: str, description: str, media: str = "application/json") -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "responses": {"200": {"description": description, "content": {media: {}}}},
        }
    }


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "licmon protocol", "version": __version__},
    "paths": {
        "/v1/checkin": _post(
            "Check in: take or renew a seat and get a signed lease",
            _CHECKIN,
            _json(_GRANTED, "granted"),
        ),
        "/v1/borrow": _post(
            "Borrow a seat for days (within max_borrow_days); return it with /v1/release",
            _BORROW,
            _json(_GRANTED, "granted; the lease's exp is days ahead"),
        ),
        "/v1/release": _post(
            "Release the machine's seat",
            _RELEASE,
            _json({"type": "object", "properties": {"status": {"const": "released"}}}, "released"),
        ),
        "/.well-known/jwks.json": _get("Public keys that verify leases", "JWKS"),
        "/healthz": _get("Liveness", "alive"),
        "/readyz": _get("Readiness: store writable, GeoIP state", "ready (503 when not)"),
        "/metrics": _get("Prometheus metrics", "exposition format", "text/plain"),
        "/openapi.json": _get("This description", "OpenAPI document"),
        # The staff console's token API (Authorization: Bearer <personal API token>).
        "/staff/api/me": _get("The token's user, roles and organization", "user"),
        "/staff/api/licenses": _get("Licenses in the user's scope", "licenses"),
        "/staff/api/licenses/{license_id}": _get("One license and its seat use", "license"),
        "/staff/api/reports/abuse": _get(
            "Abuse report: ?since=30d&org=SLUG&format=json|csv|html", "report"
        ),
    },
}
