"""Data subjects: whose personal data a request is about."""

from dataclasses import dataclass
from enum import StrEnum

from licmon.domain.network import IPAddress, address_text, network_text, parse_ip
from licmon.errors import BadRequest


class SubjectKind(StrEnum):
    LICENSE = "license"
    MACHINE = "machine"
    ADDRESS = "address"
    ORG = "org"


@dataclass(frozen=True, slots=True)
class Subject:
    kind: SubjectKind
    value: str

    @classmethod
    def parse(cls, kind: str, value: str) -> "Subject":
        try:
            subject_kind = SubjectKind(kind)
        except ValueError:
            raise BadRequest(f"Unknown subject kind '{kind[:20]}'.") from None
        if subject_kind in (SubjectKind.LICENSE, SubjectKind.ORG) and not value.isdigit():
            raise BadRequest(f"A {subject_kind} subject is an id (a number).")
        if subject_kind is SubjectKind.ADDRESS and parse_ip(value) is None:
            raise BadRequest("An address subject must be an IPv4 or IPv6 address.")
        return cls(subject_kind, value.strip())

    def address_forms(self) -> tuple[str, str]:
        """The forms an address may be stored in: itself (an exact match), and its network
        (rows kept at network precision: they may be anyone's in it, so only ambiguous)."""
        address: IPAddress | None = parse_ip(self.value)
        assert address is not None
        return address_text(address), network_text(address)  # as apply_precision keeps them

    def audit_target(self) -> str:
        """How the audit log names this subject: never the address itself."""
        return (
            "address:redacted" if self.kind is SubjectKind.ADDRESS else f"{self.kind}:{self.value}"
        )
