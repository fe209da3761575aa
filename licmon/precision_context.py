"""The precision of the organization a request turned out to be about (None: none known),
for the access log: set where the license is found, read when the request is logged."""

from contextvars import ContextVar

from licmon.domain.models import IpPrecision

REQUEST_PRECISION: ContextVar[IpPrecision | None] = ContextVar(
    "licmon_request_precision", default=None
)
