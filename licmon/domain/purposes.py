"""The purposes personal data may be kept and read for, with their limits."""

from dataclasses import dataclass

DAY = 86400


@dataclass(frozen=True, slots=True)
class Purpose:
    name: str
    legal_basis: str
    max_retention_days: int
    description: str


LICENSE_ENFORCEMENT = "license.enforcement"
CHECKIN = "license.enforcement.checkin"
ABUSE = "license.enforcement.abuse"
AUTHN = "security.authn"
DSR = "dsr"
LEGAL_HOLD = "legal.hold"

PURPOSES: dict[str, Purpose] = {
    p.name: p
    for p in (
        Purpose(
            LICENSE_ENFORCEMENT,
            "legitimate interest (Art. 6(1)(f) GDPR)",
            60,
            "preventing unlicensed and unauthorised use of the software",
        ),
        Purpose(
            CHECKIN,
            "legitimate interest (Art. 6(1)(f) GDPR)",
            60,
            "writing the connection log, geolocation at ingest",
        ),
        Purpose(
            ABUSE,
            "legitimate interest (Art. 6(1)(f) GDPR)",
            60,
            "investigating flags and writing abuse reports",
        ),
        Purpose(AUTHN, "legitimate interest (Art. 6(1)(f) GDPR)", 90, "securing staff logins"),
        Purpose(
            DSR, "legal obligation (Art. 6(1)(c) GDPR)", 30, "answering a data-subject request"
        ),
        Purpose(
            LEGAL_HOLD,
            "legal obligation (Art. 6(1)(c) GDPR)",
            3650,
            "kept because a legal hold requires it",
        ),
    )
}


def retention_deadline(day_start: int, org_retention_days: int, purpose: str) -> int:
    """End of the row's day plus the stricter of the organization's and the purpose's limit."""
    days = min(org_retention_days, PURPOSES[purpose].max_retention_days)
    return day_start + DAY + days * DAY
