"""A data-subject request's receipt for people: the same facts as the store's receipt, in
sentences with UTC times, as a page section and a file to download (text and JSON)."""

import json
from typing import Any

from licmon.timetext import iso, when

VERBS = ("erased", "restricted")


def receipt_text(result: dict[str, Any], who: str, justification: str) -> str:
    lines = [
        "licmon data-subject request receipt",
        f"Action: {str(result.get('action', '')).removeprefix('dsr.')}",
        f"Subject: {result.get('subject', '')} (as named in the request)",
        f"When: {when(result.get('at'))}",
        f"By: {who}",
        f"Justification: {justification}",
    ]
    lines += [f"{verb.capitalize()}: {_rows(result[verb])}" for verb in VERBS if verb in result]
    lines += _table_lines(result)
    for hold in result.get("holds") or []:
        lines.append(f"Legal hold #{hold['id']}: {hold.get('reason')} ({hold.get('citation')})")
    if result.get("note"):
        lines.append(f"Note: {result['note']}.")
    return "\n".join(lines) + "\n"


def _table_lines(result: dict[str, Any]) -> list[str]:
    lines = [
        f"  {table}: {verb} {_rows(len(ids))} (ids {_ids(ids)})"
        for table, parts in sorted((result.get("tables") or {}).items())
        for verb, ids in sorted(parts.items())
        if ids
    ]
    lines += [
        f"Left alone, ambiguous at network precision: {table} ids {_ids(ids)}"
        for table, ids in sorted((result.get("ambiguous") or {}).items())
        if ids
    ]
    return lines


def download_name(action: str, at: int, suffix: str) -> str:
    """licmon-dsr-erase-2026-11-23T050000Z.txt"""
    return f"licmon-dsr-{action}-{iso(at).replace(':', '')}.{suffix}"


def receipt_json(result: dict[str, Any]) -> str:
    at = result.get("at")
    shown = {**result, "at": iso(int(at))} if isinstance(at, int) else result
    return json.dumps(shown, indent=2, ensure_ascii=False, default=str)


def _rows(count: int) -> str:
    return f"{count} row{'' if count == 1 else 's'}"


def _ids(ids: list[Any]) -> str:
    return ", ".join(str(i) for i in ids)
