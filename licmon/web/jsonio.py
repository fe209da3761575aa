"""Reading and writing JSON bodies on the API.

Parsing has two paths with one result. The fast one is msgspec; its value is taken only
when the body provably holds no key twice (msgspec keeps the last of a duplicated key, and
a proxy and licmon must never read different bodies): every object member needs a ``:``
outside a string. In a body without a backslash every string reads as it is written, so the
value encoded again holds as many ``:`` as the body exactly when no member was dropped: a
timestamp such as ``client_time`` stays on the fast path. With a backslash (an escape could
make a ``:``) the body's ``:`` count must equal the members found. Anything else (a
duplicate, an escape beside a ``:`` in a string, any error) goes through the strict
standard-library parse, which gives today's answers and messages unchanged.
"""

import json
from typing import Any

import msgspec
from aiohttp import web

from licmon.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

JSON_TYPE = "application/json"
_DECODER = msgspec.json.Decoder()
_ENCODER = msgspec.json.Encoder()


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
        value = _DECODER.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return strict_parse(raw)
    return value if _none_dropped(value, raw) else strict_parse(raw)


def strict_parse(raw: bytes) -> Any:
    """The standard library's parse: no duplicate key, no NaN, every error explained."""
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


def _none_dropped(value: Any, raw: bytes) -> bool:
    colons = raw.count(b":")
    if b"\\" not in raw:  # every string as written: the value encoded again keeps its ``:``
        return _ENCODER.encode(value).count(b":") == colons
    return _members(value) == colons


def _members(value: Any) -> int:
    """How many object members ``value`` holds, nested ones included."""
    if isinstance(value, dict):
        return len(value) + sum(_members(item) for item in value.values() if _nested(item))
    if isinstance(value, list):
        return sum(_members(item) for item in value if _nested(item))
    return 0


def _nested(value: Any) -> bool:
    return isinstance(value, dict | list)


def json_response(data: Any, status: int = 200, **headers: str) -> web.Response:
    return web.Response(
        body=encode_json(data),
        status=status,
        headers=headers or None,
        content_type=JSON_TYPE,
        charset="utf-8",
    )


def encode_json(data: Any) -> bytes:
    try:
        return _ENCODER.encode(data)
    except (TypeError, msgspec.EncodeError):
        return json.dumps(data).encode()  # what msgspec declines (a None key, say)


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
