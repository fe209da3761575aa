"""The admin API's actions: issue, change and end licenses, deactivate machines, decide
flags, each as a person (audited), within that person's organization scope, and the
Idempotency-Key bookkeeping around a POST. Rules live in ``domain``, storage in ``store``."""

import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from licmon.catalog import KeyIndex
from licmon.domain import idempotency, license_keys, node_locks
from licmon.domain.admin_bodies import Decision, NewLicense, NewOrg
from licmon.domain.flags import suspends_license
from licmon.domain.idempotency import Answer
from licmon.domain.ids import NOT_HERE
from licmon.domain.models import License, LicenseStatus, Org, Product
from licmon.domain.staff import StaffUser, check_flag_scope, check_scope
from licmon.domain.terms import patched
from licmon.errors import NotFound
from licmon.store.admin_base import MachineRow
from licmon.store.base import Store


@dataclass
class AdminService:
    store: Store
    index: KeyIndex
    pepper: bytes
    clock: Callable[[], float] = time.time

    async def visible_license(self, user: StaffUser, license_id: int) -> License:
        """The license if ``user`` may see it; else the 404 of a license that does not exist."""
        try:
            lic = await self.store.get_license(license_id)
        except NotFound:
            raise NotFound(NOT_HERE) from None
        check_scope(user, lic.org.id)
        return lic

    async def visible_flag(self, user: StaffUser, flag_id: int) -> dict[str, Any]:
        try:
            flag = await self.store.get_flag(flag_id)
        except NotFound:
            raise NotFound(NOT_HERE) from None
        check_flag_scope(user, flag["org_id"])
        return flag

    async def create_org(self, user: StaffUser, new: NewOrg) -> Org:
        org = await self.store.add_org(
            new.slug, new.name, new.ip_precision, new.retention_days, actor=user.actor
        )
        await self.index.refresh(self.store)
        return org

    async def create_product(self, user: StaffUser, code: str, name: str) -> Product:
        return await self.store.add_product(code, name, actor=user.actor)

    async def create_license(self, user: StaffUser, new: NewLicense) -> tuple[License, str]:
        """The license and its key, which is never stored and never shown again."""
        key = license_keys.generate()
        lic = await self.store.add_license(
            new.org,
            new.product,
            new.terms,
            license_keys.key_hash(self.pepper, key),
            actor=user.actor,
        )
        await self.index.refresh(self.store)
        return lic, key

    async def change_terms(
        self, user: StaffUser, license_id: int, changes: dict[str, Any]
    ) -> License:
        lic = await self.visible_license(user, license_id)
        changed = await self.store.update_license_terms(
            lic.id, patched(lic.terms, changes), actor=user.actor
        )
        await self.index.refresh(self.store)
        return changed

    async def set_status(
        self, user: StaffUser, license_id: int, status: LicenseStatus, reason: str
    ) -> License:
        lic = await self.visible_license(user, license_id)
        changed = await self.store.set_license_status(
            lic.id, status, actor=user.actor, reason=reason
        )
        await self.index.refresh(self.store)
        return changed

    async def machines(
        self, user: StaffUser, license_id: int, after: int | None, limit: int
    ) -> list[MachineRow]:
        lic = await self.visible_license(user, license_id)
        return await self.store.license_machines(lic.id, after, limit)

    async def deactivate(
        self, user: StaffUser, license_id: int, machine_id: int, reason: str
    ) -> MachineRow:
        """Free a machine's seat (a customer: of its own organization), with a reason; on a
        license locked by activations also its activation, as a lock move (the store's, as the
        console and the CLI move one: counted, refused beyond the allowance, audited)."""
        lic = await self.visible_license(user, license_id)
        if node_locks.deactivation_moves_lock(lic.terms):
            await self._move_lock(user, lic.id, machine_id)
        return await self.store.deactivate_machine(
            lic.id, machine_id, actor=user.actor, reason=reason
        )

    async def _move_lock(self, user: StaffUser, license_id: int, machine_id: int) -> None:
        machine = await self._machine(license_id, machine_id)
        with contextlib.suppress(NotFound):  # it holds no activation: there is none to move
            await self.store.move_node_lock(license_id, machine.fingerprint, actor=user.actor)

    async def _machine(self, license_id: int, machine_id: int) -> MachineRow:
        """The license's machine ``machine_id`` (the first from the id before it), or 404."""
        rows = await self.store.license_machines(license_id, machine_id - 1, 1)
        if not rows or rows[0].id != machine_id:
            raise NotFound(f"License {license_id} has no machine {machine_id}.")
        return rows[0]

    async def decide_flag(
        self, user: StaffUser, flag_id: int, decision: Decision, suspend_on_confirm: bool
    ) -> dict[str, Any]:
        flag = await self.visible_flag(user, flag_id)
        suspend = suspends_license(
            decision.status, setting=suspend_on_confirm, asked=decision.suspend
        )
        decided = await self.store.decide_flag(
            flag["id"], decision.status, user.actor, decision.reason, suspend=suspend
        )
        if suspend:
            await self.index.refresh(self.store)
        return decided

    async def once(
        self,
        user: StaffUser,
        route: str,
        key: str | None,
        body: Any,
        run: Callable[[], Awaitable[Answer]],
    ) -> tuple[Answer, bool]:
        """``run``'s answer, or under an Idempotency-Key already answered the first answer
        again (True). Only a success is kept: a refused request may be corrected and sent
        again with its key."""
        if key is None:
            return await run(), False
        now = int(self.clock())
        claim, secret = idempotency.claim_for(
            self.pepper, user.id, route, idempotency.parse_key(key), body, now
        )
        stored = await self.store.claim_idempotency(claim, idempotency.expired_before(now))
        if stored is not None:
            return idempotency.replay(stored, claim, secret), True
        try:
            answer = await run()
        except BaseException:
            await self.store.drop_idempotency(claim)
            raise
        if answer.status >= 300:
            await self.store.drop_idempotency(claim)
        else:
            await self.store.finish_idempotency(
                claim, answer.status, idempotency.seal(secret, answer)
            )
        return answer, False
