"""One exception hierarchy; the web layer maps it to JSON answers, the CLI to one plain line.

Messages are shown to callers: they never carry a key, address, password or token.
"""


class LicmonError(Exception):
    """Base of every error licmon raises on purpose."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(LicmonError):
    status = 400
    code = "bad_request"


class PayloadTooLarge(LicmonError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(LicmonError):
    status = 415
    code = "unsupported_media_type"


class Unauthorized(LicmonError):
    """No (live) staff session or API token."""

    status = 401
    code = "unauthorized"


class Forbidden(LicmonError):
    status = 403
    code = "forbidden"


class NotFound(LicmonError):
    status = 404
    code = "not_found"


class Conflict(LicmonError):
    status = 409
    code = "conflict"


class Unavailable(LicmonError):
    status = 503
    code = "unavailable"


class Throttled(LicmonError):
    """Too many unknown keys from this address or network: wait ``retry_after`` seconds."""

    status = 429
    code = "throttled"

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many attempts with unknown keys; retry later.")
        self.retry_after = retry_after


class ConfigError(LicmonError):
    """A setting, file or start-up resource is wrong; the process cannot start."""

    status = 500
    code = "config_error"


class Unprocessable(LicmonError):
    """Well-formed, but not acceptable here (an Idempotency-Key reused for another body)."""

    status = 422
    code = "unprocessable"
