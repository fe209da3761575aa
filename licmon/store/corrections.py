"""Rectification, as every backend runs it: correcting what licmon holds wrongly about a
subject, audited. Each backend supplies the SQL (``CorrectSql``, its ``dsr_correct``).

A machine attributed to the wrong license (or organization) moves, with its connection
log, to the right one; the right organization's precision and retention apply to the
moved rows at once. An organization's name is corrected in place. Receipts name tables
and row ids; the audit entry names ids and fields, never a name or an address.
"""

from typing import Any, Protocol

from licmon.domain.access import ReadContext, check_request
from licmon.domain.audit import AuditEntry
from licmon.domain.purposes import DSR
from licmon.domain.redaction import redact_addresses
from licmon.domain.subjects import Subject, SubjectKind
from licmon.errors import BadRequest, Conflict, NotFound

MAX_NAME = 200


class CorrectSql(Protocol):
    def machine_row(
        self, conn: Any, fingerprint: str, license_id: int, now: int
    ) -> tuple[int, int, bool] | None:
        """The machine's id, its organization and whether a legal hold keeps it."""

    def license_org(self, conn: Any, license_id: int) -> int | None: ...

    def connection_ids(self, conn: Any, machine_id: int) -> list[int]: ...

    def drop_seat(self, conn: Any, machine_id: int) -> bool:
        """Free the machine's seat; whether it held one."""

    def machine_id(self, conn: Any, fingerprint: str, license_id: int) -> int | None: ...

    def reattribute(self, conn: Any, machine_id: int, license_id: int) -> None:
        """The machine and its connection log under ``license_id``."""

    def merge(self, conn: Any, source: int, target: int, license_id: int) -> None:
        """The source machine's log into the target's (same day and address: counts added);
        the source machine goes."""

    def apply_policy(self, conn: Any, org_id: int, first_row: int, last_row: int) -> None: ...

    def org_id(self, conn: Any, slug: str) -> int: ...

    def rename_org(self, conn: Any, org_id: int, name: str) -> None: ...

    def audit(self, conn: Any, entry: AuditEntry) -> None: ...


def move_machine(
    sql: CorrectSql,
    conn: Any,
    ctx: ReadContext,
    fingerprint: str,
    from_license: int,
    to_license: int,
    now: int,
) -> dict[str, Any]:
    check_request(ctx, DSR)
    source, source_org = _machine(sql, conn, ctx, fingerprint, from_license, now)
    target_org = _license_org(sql, conn, ctx, to_license)
    if to_license == from_license:
        raise BadRequest("The machine is attributed to that license already.")
    rows = sql.connection_ids(conn, source)
    seats = [[from_license, source]] if sql.drop_seat(conn, source) else []
    target = sql.machine_id(conn, fingerprint, to_license)
    if target is None:
        sql.reattribute(conn, source, to_license)
        machines: dict[str, list[Any]] = {"corrected": [source]}
    else:
        sql.merge(conn, source, target, to_license)
        machines = {"merged": [source], "into": [target]}
    if rows:
        sql.apply_policy(conn, target_org, min(rows), max(rows))
    tables = {"machines": machines, "connections": {"corrected": rows}, "seats": {"erased": seats}}
    details = {"field": "license", "from_license": from_license, "to_license": to_license}
    if source_org != target_org:
        details |= {"from_org": source_org, "to_org": target_org}
    subject = Subject(SubjectKind.MACHINE, fingerprint)
    return _receipt(sql, conn, ctx, subject, now, tables, details)


def rename_org(
    sql: CorrectSql, conn: Any, ctx: ReadContext, slug: str, name: str, now: int
) -> dict[str, Any]:
    check_request(ctx, DSR)
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise BadRequest(f"An organization's name has 1 to {MAX_NAME} characters.")
    org_id = sql.org_id(conn, slug)
    if ctx.org_id is not None and ctx.org_id != org_id:
        raise NotFound(f"No organization '{slug[:40]}'.")
    sql.rename_org(conn, org_id, name)
    tables = {"orgs": {"corrected": [org_id]}}
    subject = Subject(SubjectKind.ORG, str(org_id))
    return _receipt(sql, conn, ctx, subject, now, tables, {"field": "name"})


def _machine(
    sql: CorrectSql, conn: Any, ctx: ReadContext, fingerprint: str, license_id: int, now: int
) -> tuple[int, int]:
    row = sql.machine_row(conn, fingerprint, license_id, now)
    if row is None or (ctx.org_id is not None and row[1] != ctx.org_id):
        raise NotFound(f"No such machine under license {license_id}.")
    if row[2]:
        raise Conflict("A legal hold keeps this machine's records as they are.")
    return row[0], row[1]


def _license_org(sql: CorrectSql, conn: Any, ctx: ReadContext, license_id: int) -> int:
    org = sql.license_org(conn, license_id)
    if org is None or (ctx.org_id is not None and org != ctx.org_id):
        raise NotFound(f"No license {license_id}.")
    return org


def _receipt(
    sql: CorrectSql,
    conn: Any,
    ctx: ReadContext,
    subject: Subject,
    now: int,
    tables: dict[str, dict[str, list[Any]]],
    details: dict[str, Any],
) -> dict[str, Any]:
    entry = AuditEntry(
        now,
        ctx.actor,
        "dsr.correct",
        subject.audit_target(),
        "ok",
        {
            **details,
            "tables": {name: {k: len(v) for k, v in t.items()} for name, t in tables.items()},
            "org_scope": ctx.org_id,
            "justification": redact_addresses(ctx.justification),
        },
    )
    sql.audit(conn, entry)
    return {"action": "dsr.correct", "subject": subject.kind.value, "at": now, "tables": tables}
