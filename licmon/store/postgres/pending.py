"""Placeholder support while the PostgreSQL flags, listing, staff and privacy parts are
being written (issue 12): their methods answer NotImplementedError until they land."""

from typing import Any

PRIVACY_METHODS = (
    "read_connections", "dsr_export", "dsr_erase", "dsr_restrict", "dsr_correct_machine",
    "dsr_correct_org", "org_export", "org_erase", "add_hold", "list_holds", "release_hold",
    "run_retention", "retention_runs", "audit_verify", "audit_recent", "reapply_erasures",
    "audit_head", "audit_hashes_at", "audit_record", "update_org",
)  # fmt: skip


def not_yet(cls: type, *interfaces: type, names: tuple[str, ...] = ()) -> None:
    """Give ``cls`` every abstract method of ``interfaces`` (and ``names``) as a placeholder."""
    wanted = set(names)
    for interface in interfaces:
        wanted |= set(getattr(interface, "__abstractmethods__", ()))
    for name in wanted:
        setattr(cls, name, _placeholder(name))
    cls.__abstractmethods__ = frozenset()  # type: ignore[attr-defined]


def _placeholder(name: str) -> Any:
    async def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"PostgreSQL: {name} is not written yet")

    method.__name__ = name
    return method
