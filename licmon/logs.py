"""Structured logs: one JSON object per line, with the request id of the request being served.

A last line of defence masks what must never be logged: fields named like secrets, license
keys and signed tokens anywhere in the line.
"""

import contextvars
import json
import logging
import re
import sys
import time
from typing import Any

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "licmon_request_id", default=None
)
MASK = "********"
SECRET_FIELDS = frozenset(
    {"key", "password", "token", "secret", "pepper", "lease", "cookie", "authorization"}
)
_SECRETS = re.compile(
    r"(?i)\bLM-?[0-9a-z]{5}(?:-?[0-9a-z]{5}){5}\b"  # a license key, with or without dashes
    r"|\beyJ[\w-]+\.[\w-]+\.[\w-]*"  # a JWT (lease or session token)
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        request_id = REQUEST_ID.get()
        if request_id is not None:
            entry.setdefault("request_id", request_id)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        for name in SECRET_FIELDS.intersection(entry):
            entry[name] = MASK
        return _SECRETS.sub(MASK, json.dumps(entry, default=str))


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
