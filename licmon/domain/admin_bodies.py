"""The admin API's request bodies: strict types, known fields only, the same limits as the
command line (``validation``, ``terms``)."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from licmon.domain.flags import FlagStatus
from licmon.domain.models import IpPrecision, LicenseStatus, LicenseTerms
from licmon.domain.terms import TERM_FIELDS, new_terms, parse_terms
from licmon.domain.validation import PRODUCT_RE, require_object, text_field
from licmon.errors import BadRequest

ORG_SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
NAME_RE = re.compile(r"[^\x00-\x1f\x7f]{1,200}")
RETENTION_DAYS = (1, 3650)
REASON_LENGTH = (3, 500)
LICENSE_STATUSES = tuple(status.value for status in LicenseStatus)
FLAG_STATUSES = tuple(status.value for status in FlagStatus)
DECISIONS = (FlagStatus.ACKNOWLEDGED, FlagStatus.CONFIRMED, FlagStatus.DISMISSED)


@dataclass(frozen=True, slots=True)
class NewOrg:
    slug: str
    name: str
    ip_precision: IpPrecision = IpPrecision.FULL
    retention_days: int = 60


@dataclass(frozen=True, slots=True)
class NewLicense:
    org: str
    product: str
    terms: LicenseTerms


@dataclass(frozen=True, slots=True)
class Decision:
    status: FlagStatus
    reason: str
    suspend: bool


def parse_org(body: object) -> NewOrg:
    fields = require_object(body, {"slug"}, {"name", "ip_precision", "retention_days"})
    slug = text_field(fields, "slug", _full(ORG_SLUG_RE), "an organization slug ([a-z0-9-])")
    precision = fields.get("ip_precision", IpPrecision.FULL.value)
    if not isinstance(precision, str) or precision not in {p.value for p in IpPrecision}:
        choices = ", ".join(p.value for p in IpPrecision)
        raise BadRequest(f"Field 'ip_precision' must be one of {choices}.", field="ip_precision")
    retention = fields.get("retention_days", 60)
    low, high = RETENTION_DAYS
    if (
        isinstance(retention, bool)
        or not isinstance(retention, int)
        or not low <= retention <= high
    ):
        raise BadRequest(f"Field 'retention_days' must be {low}-{high}.", field="retention_days")
    return NewOrg(slug, _name(fields, slug), IpPrecision(precision), retention)


def parse_product(body: object) -> tuple[str, str]:
    fields = require_object(body, {"code"}, {"name"})
    code = text_field(fields, "code", _full(PRODUCT_RE), "a product code ([a-z0-9._-], 1-64)")
    return code, _name(fields, code)


def parse_new_license(body: object) -> NewLicense:
    fields = require_object(body, {"org", "product"}, set(TERM_FIELDS))
    org = text_field(fields, "org", _full(ORG_SLUG_RE), "an organization slug")
    product = text_field(fields, "product", _full(PRODUCT_RE), "a product code")
    return NewLicense(org, product, new_terms(parse_terms(fields)))


def parse_terms_change(body: object) -> dict[str, Any]:
    fields = require_object(body, set(), set(TERM_FIELDS))
    if not fields:
        raise BadRequest(f"Give at least one of: {', '.join(TERM_FIELDS)}.")
    return parse_terms(fields)


def parse_reason(body: object) -> str:
    return reason_text(require_object(body, {"reason"}, set()), "reason")


def parse_decision(body: object) -> Decision:
    fields = require_object(body, {"status", "reason"}, {"suspend"})
    wanted = {status.value: status for status in DECISIONS}
    status = text_field(fields, "status", wanted.__contains__, " or ".join(wanted))
    suspend = fields.get("suspend", False)
    if not isinstance(suspend, bool):
        raise BadRequest("Field 'suspend' must be true or false.", field="suspend")
    return Decision(wanted[status], reason_text(fields, "reason"), suspend)


def reason_text(fields: Mapping[str, Any], name: str) -> str:
    low, high = REASON_LENGTH
    text = text_field(fields, name, lambda v: low <= len(v.strip()) <= high, f"{low}-{high} chars")
    return text.strip()


def _name(fields: Mapping[str, Any], default: str) -> str:
    if "name" not in fields:
        return default
    return text_field(fields, "name", _full(NAME_RE), "1-200 characters without controls")


def _full(pattern: re.Pattern[str]) -> Any:
    return lambda value: pattern.fullmatch(value) is not None
