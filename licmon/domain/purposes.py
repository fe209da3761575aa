"""The purposes personal data may be kept and read for, as data: the purpose tree.

A row is collected under one purpose and may be read only for the purposes that purpose
allows (``readable_for``). Restricted rows (under a legal hold or a restriction request)
are readable only for ``legal.hold`` (and the subject's own request, ``dsr``).
"""

from dataclasses import dataclass

from licmon.domain.models import IpPrecision

DAY = 86400

LICENSE_ENFORCEMENT = "license.enforcement"
CHECKIN = "license.enforcement.checkin"
ABUSE = "license.enforcement.abuse"
AUTHN = "security.authn"
DSR = "dsr"
LEGAL_HOLD = "legal.hold"

LEGITIMATE_INTEREST = "legitimate interest, Art. 6(1)(f) GDPR: preventing unlicensed use"
LEGAL_OBLIGATION = "legal obligation, Art. 6(1)(c) GDPR"


@dataclass(frozen=True, slots=True)
class Purpose:
    name: str
    legal_basis: str
    max_retention_days: int
    max_precision: IpPrecision
    readable_for: frozenset[str]
    description: str


def _purpose(name: str, basis: str, days: int, readable: set[str], text: str) -> Purpose:
    return Purpose(name, basis, days, IpPrecision.FULL, frozenset(readable | {DSR}), text)


PURPOSES: dict[str, Purpose] = {
    p.name: p
    for p in (
        _purpose(
            LICENSE_ENFORCEMENT,
            LEGITIMATE_INTEREST,
            60,
            {LICENSE_ENFORCEMENT},
            "preventing unlicensed and unauthorised use of the software",
        ),
        _purpose(
            CHECKIN,
            LEGITIMATE_INTEREST,
            60,
            {CHECKIN, ABUSE},
            "writing the connection log, geolocation at ingest",
        ),
        _purpose(
            ABUSE, LEGITIMATE_INTEREST, 60, {ABUSE}, "investigating flags and writing abuse reports"
        ),
        _purpose(
            AUTHN,
            "legitimate interest, Art. 6(1)(f) GDPR: securing staff logins",
            90,
            {AUTHN},
            "securing staff logins",
        ),
        _purpose(DSR, LEGAL_OBLIGATION, 30, set(), "answering a data-subject request"),
        _purpose(
            LEGAL_HOLD,
            LEGAL_OBLIGATION,
            3650,
            {LEGAL_HOLD},
            "kept because a legal hold requires it",
        ),
    )
}


def parent(purpose: str) -> str | None:
    name, _, _ = purpose.rpartition(".")
    return name or None


def retention_deadline(day_start: int, org_retention_days: int, purpose: str) -> int:
    """The start of the row's day plus the stricter of the organization's and the purpose's
    limit: nothing in a row dated day D outlives D + N days (the promise is "kept no longer
    than N days"; the last entries of the day go a little early rather than any late)."""
    days = min(org_retention_days, PURPOSES[purpose].max_retention_days)
    return day_start + days * DAY


def readable(
    row_purpose: str, restricted: bool, read_purpose: str, *, expired: bool = False
) -> bool:
    """May a row collected for ``row_purpose`` be read for ``read_purpose``?

    A restricted row is kept for a legal hold and read only for it, and for the data
    subject's own request (the right of access covers restricted data too). A row past its
    deadline is still stored only because a legal hold keeps it: read only for that hold.
    """
    if expired:
        return read_purpose == LEGAL_HOLD
    if restricted:
        return read_purpose in (LEGAL_HOLD, DSR)
    allowed = PURPOSES.get(row_purpose)
    return allowed is not None and read_purpose in allowed.readable_for
