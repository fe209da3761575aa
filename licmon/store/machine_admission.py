"""The per-machine rules of a check-in, in the order every backend applies them inside its
transaction: ``admit`` before the seat is taken (may refuse), ``commit`` once it is granted.
Each backend supplies the SQL (a module with the functions of ``RulesSql``)."""

from dataclasses import dataclass, replace
from typing import Any, Protocol

from licmon.domain import chain
from licmon.domain.models import CheckinCommand, DenyReason, License, LicenseTerms, SeatResult


class RulesSql(Protocol):
    def activation_denial(self, conn: Any, lic: License, machine_id: int) -> DenyReason | None:
        """An activation-limit license: the machine is locked in or an activation is free."""

    def process_check(
        self, conn: Any, cmd: CheckinCommand, machine_id: int
    ) -> tuple[DenyReason | None, bool]:
        """The instance limit's refusal, and whether this instance is new."""

    def chain_verdict(
        self, conn: Any, cmd: CheckinCommand, machine_id: int
    ) -> chain.ChainVerdict | None:
        """How the check-in continues its installation's chain (one that follows advances)."""

    def activate(self, conn: Any, terms: LicenseTerms, machine_id: int, now: int) -> None: ...

    def record_process(self, conn: Any, cmd: CheckinCommand, machine_id: int, new: bool) -> None:
        """Keep the instance until its lease ends (a new one first forgets ended ones)."""

    def advance_chain(self, conn: Any, machine_id: int, head: chain.StoredChain, now: int) -> None:
        """Write the chain's new head (it starts, or forks and is not refused)."""


@dataclass(frozen=True, slots=True)
class Admission:
    denial: DenyReason | None = None
    forked: bool = False
    chain_pending: bool = False  # the chain starts (or forks) with this lease, if granted
    new_process: bool = False


def admit(sql: RulesSql, conn: Any, cmd: CheckinCommand, machine_id: int) -> Admission:
    terms = cmd.license.terms
    denial = sql.activation_denial(conn, cmd.license, machine_id)
    new_process = False
    if denial is None:
        denial, new_process = sql.process_check(conn, cmd, machine_id)
    verdict = sql.chain_verdict(conn, cmd, machine_id)
    forked = verdict is chain.ChainVerdict.FORKED
    if forked and terms.refuse_cloned:
        denial = denial or DenyReason.CLONED_MACHINE
    pending = verdict is chain.ChainVerdict.STARTS or (forked and not terms.refuse_cloned)
    return Admission(denial, forked, pending, new_process)


def commit(
    sql: RulesSql, conn: Any, cmd: CheckinCommand, machine_id: int, admission: Admission
) -> None:
    """The granted check-in: the machine locked in, its instance and the chain's new head."""
    sql.activate(conn, cmd.license.terms, machine_id, cmd.now)
    if cmd.process is not None:
        sql.record_process(conn, cmd, machine_id, admission.new_process)
    if cmd.chain is not None and admission.chain_pending:
        sql.advance_chain(conn, machine_id, chain.advanced(cmd.chain), cmd.now)


def marked(result: SeatResult, admission: Admission) -> SeatResult:
    """The seat's result, marked when the installation's chain forked (``replace`` only
    then: it is dear, and a check-in's chain seldom forks)."""
    return replace(result, forked=True) if admission.forked else result
