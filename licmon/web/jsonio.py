"""Reading and writing JSON bodies on the API."""

import json
from typing import Any

from aiohttp import web

from licmon.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

JSON_TYPE = "application/json"


async def read_json(request: web.Request) -> Any:
    """The request's JSON value; 415, 413 or 400 with a clear message otherwise."""
    if request.content_type != JSON_TYPE:
        raise UnsupportedMediaType("The body must be application/json.")
    if request.charset and request.charset.lower().replace("-", "") != "utf8":
        raise UnsupportedMediaType("The body must be encoded as UTF-8.")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge(f"The body is larger than {request.client_max_size} bytes.") from None
    return parse_json(raw)


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(
            raw.decode("utf-8"), parse_constant=_reject_constant, object_pairs_hook=_unique_keys
        )
    except UnicodeDecodeError:
        raise BadRequest("The body is not valid UTF-8.") from None
    except RecursionError:
        raise BadRequest("The body is nested too deeply.") from None
    except ValueError as exc:
        raise BadRequest(f"The body is not valid JSON: {_reason(exc)}") from None


def json_response(data: Any, status: int = 200, **headers: str) -> web.Response:
    return web.json_response(data, status=status, headers=headers or None)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A key given twice is refused: a proxy and licmon must never read different bodies."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the key {key[:40]!r} appears twice")
        found[key] = value
    return found


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}."
    return "a number is too large." if "digits" in str(exc) else f"{exc}."
