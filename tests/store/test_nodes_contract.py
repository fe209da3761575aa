"""Two stores on one database (two nodes) racing for what must happen once: a flag is
counted on one row, a login challenge and a second-factor step are used up once."""

import asyncio

from licmon.domain.access import Role
from licmon.domain.logins import LoginAttempt, LoginOutcome, SecondFactor
from licmon.domain.sessions import NewSession, token_hash
from licmon.store.base import Store
from tests.conftest import FakeClock
from tests.store.conftest import Reopen
from tests.store.world import licensed, raised

RAISES = 20


async def test_the_same_flag_raised_on_two_nodes_is_one_flag(
    store: Store, reopen: Reopen, clock: FakeClock
) -> None:
    lic = await licensed(store)
    other = await reopen()
    now = int(clock())
    ids = await asyncio.gather(
        *(
            node.raise_flags([raised(lic.id, now + i)])
            for i in range(RAISES)
            for node in (store, other)
        )
    )
    assert len({flag_id for (flag_id,) in ids}) == 1
    [flag] = await other.list_flags()
    assert flag["count"] == 2 * RAISES


async def _begin(node: Store, nonce: str, now: int) -> bool:
    pending = LoginAttempt(now, None, LoginOutcome.PENDING, "203.0.113.8", now + 86400)
    return (await node.begin_login(nonce, now + 600, "ada", now - 900, pending, None)).fresh


async def test_a_login_challenge_is_used_once_across_nodes(
    store: Store, reopen: Reopen, clock: FakeClock
) -> None:
    await store.add_user("ada", "h", frozenset({Role.ADMIN}), None, actor="cli:root")
    other = await reopen()
    now = int(clock())
    for n in range(5):
        fresh = await asyncio.gather(*(_begin(node, f"nonce-{n}", now) for node in (store, other)))
        assert sorted(fresh) == [False, True]


async def test_a_second_factor_step_opens_one_session_across_nodes(
    store: Store, reopen: Reopen, clock: FakeClock
) -> None:
    ada = await store.add_user("ada", "h", frozenset({Role.ADMIN}), None, actor="cli:root")
    await store.start_totp_enrolment(ada.id, "SEED", actor=ada.actor)
    await store.confirm_totp_enrolment(ada.id, 100, [], actor=ada.actor)
    other = await reopen()
    now = int(clock())

    async def login(node: Store, n: int) -> LoginOutcome:
        pending = LoginAttempt(now, None, LoginOutcome.PENDING, "203.0.113.8", now + 86400)
        start = await node.begin_login(f"n{n}", now + 600, "ada", now - 900, pending, None)
        session = NewSession(f"t{n}", token_hash(f"t{n}"), "csrf", now, now + 3600)
        done = LoginAttempt(now, ada.id, LoginOutcome.OK, "203.0.113.8", now + 86400)
        outcome, _ = await node.finish_login(
            start.attempt_id, done, session, None, SecondFactor(step=101), None
        )
        return outcome

    outcomes = await asyncio.gather(login(store, 1), login(other, 2))
    assert sorted(outcomes) == sorted([LoginOutcome.OK, LoginOutcome.BAD_CODE])
