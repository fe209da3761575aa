"""An erasure's receipt and its audit entry, the same on every backend: what was erased and
restricted, table by table, by row id (never an address), and the holds that kept rows."""

from typing import Any

from licmon.domain.access import ReadContext
from licmon.domain.audit import AuditEntry
from licmon.domain.redaction import redact_addresses
from licmon.domain.subjects import Subject
from licmon.store.sqlite.dsr_find import Found

HELD_NOTE = (
    "rows under a legal hold are restricted (readable only for legal.hold) and will be "
    "erased when the hold ends"
)


def hold_rows(found: Found) -> list[dict[str, Any]]:
    """The rows a legal hold can keep, each naming what a hold's scope matches."""
    machines = [{**m, "machine": m["fingerprint"]} for m in found.machines]
    return [*found.connections, *found.flags, *machines]


def erasure_receipt(
    ctx: ReadContext,
    subject: Subject,
    now: int,
    found: Found,
    tables: dict[str, dict[str, list[Any]]],
    holds: list[dict[str, Any]],
) -> tuple[AuditEntry, dict[str, Any]]:
    """The audit entry to append and the receipt to answer; ``holds``: those active for the
    held rows."""
    counts = {
        verb: sum(len(t.get(verb, [])) for t in tables.values())
        for verb in ("erased", "restricted")
    }
    details = {
        **counts,
        "tables": {name: {k: len(v) for k, v in t.items()} for name, t in tables.items()},
        "ambiguous": {name: len(ids) for name, ids in found.ambiguous.items()},
        "holds": [h["id"] for h in holds],
        "org_scope": ctx.org_id,
        "justification": redact_addresses(ctx.justification),
    }
    entry = AuditEntry(now, ctx.actor, "dsr.erase", subject.audit_target(), "ok", details)
    receipt = {
        "action": "dsr.erase",
        "subject": subject.kind.value,
        "at": now,
        **counts,
        "tables": tables,
        "ambiguous": found.ambiguous,
        "holds": holds,
        "note": HELD_NOTE if counts["restricted"] and holds else "",
    }
    return entry, receipt
