"""Staff accounts, logins and sessions, second factors and personal API tokens: each change
audited, sessions ended when the account changes."""

import pytest

from licmon.domain.access import Role
from licmon.domain.logins import LoginAttempt, LoginOutcome, SecondFactor
from licmon.domain.sessions import NewSession, token_hash
from licmon.errors import BadRequest, Conflict
from licmon.store.base import Store
from tests.conftest import FakeClock
from tests.store.conftest import Reopen
from tests.store.world import actions, licensed

ADMIN = frozenset({Role.ADMIN})


async def _login(
    store: Store, nonce: str, now: int, factor: SecondFactor | None = None
) -> tuple[LoginOutcome, int | None]:
    pending = LoginAttempt(now, None, LoginOutcome.PENDING, "203.0.113.8", now + 86400)
    start = await store.begin_login(nonce, now + 600, "ada", now - 900, pending, None)
    assert start.fresh and start.user is not None and start.password_hash == "argon-hash"
    session = NewSession("tok-" + nonce, token_hash("tok-" + nonce), "csrf", now, now + 3600)
    done = LoginAttempt(now, start.user.id, LoginOutcome.OK, "203.0.113.8", now + 86400)
    return await store.finish_login(start.attempt_id, done, session, None, factor, None)


async def test_accounts_are_added_changed_and_audited(store: Store, reopen: Reopen) -> None:
    await licensed(store)
    ada = await store.add_user("ada", "argon-hash", ADMIN, None, actor="cli:root")
    with pytest.raises(Conflict):
        await store.add_user("ada", "other", ADMIN, None, actor="cli:root")
    customer = await store.add_user("cy", "h", frozenset({Role.CUSTOMER}), "acme", actor="cli:root")
    assert customer.org_id is not None
    roles = await store.set_user_roles("ada", frozenset({Role.ANALYST}), None, actor="cli:root")
    assert roles.roles == frozenset({Role.ANALYST})
    again = await reopen()
    assert [u.username for u in await again.list_users()] == ["ada", "cy"]
    assert (await again.set_user_disabled("cy", True, actor="cli:root")).disabled
    assert (await again.get_user(ada.id)).username == "ada"
    assert await actions(again, f"user:{ada.id}") == ["user.add", "user.roles"]


async def test_a_login_opens_a_session_that_a_password_change_ends(
    store: Store, clock: FakeClock
) -> None:
    await store.add_user("ada", "argon-hash", ADMIN, None, actor="cli:root")
    now = int(clock())
    outcome, session_id = await _login(store, "n1", now)
    assert outcome is LoginOutcome.OK and session_id is not None
    found = await store.session_for(token_hash("tok-n1"))
    assert found is not None and found[0].id == session_id and found[1].username == "ada"
    pending = LoginAttempt(now, None, LoginOutcome.PENDING, "203.0.113.8", now + 86400)
    replay = await store.begin_login("n1", now + 600, "ada", now - 900, pending, None)
    assert replay.fresh is False
    await store.touch_session(session_id)
    assert await store.set_user_password("ada", "new-hash", actor="cli:root") == 1
    ended = await store.session_for(token_hash("tok-n1"))
    assert ended is not None and ended[0].revoked_at is not None
    outcomes = [a["outcome"] for a in await store.login_attempts()]
    assert outcomes == ["bad_form", "ok"]
    assert all("address" not in a for a in await store.login_attempts())


async def test_a_session_ends_on_logout(store: Store, clock: FakeClock) -> None:
    await store.add_user("ada", "argon-hash", ADMIN, None, actor="cli:root")
    _, session_id = await _login(store, "n2", int(clock()))
    assert session_id is not None
    await store.end_session(session_id, "logout", actor="user:1")
    found = await store.session_for(token_hash("tok-n2"))
    assert found is not None and found[0].revoked_at is not None


async def test_a_totp_step_is_used_once(store: Store, clock: FakeClock) -> None:
    ada = await store.add_user("ada", "argon-hash", ADMIN, None, actor="cli:root")
    await store.start_totp_enrolment(ada.id, "SEED", actor=ada.actor)
    assert await store.pending_totp_secret(ada.id) == "SEED"
    await store.confirm_totp_enrolment(ada.id, 100, [b"r" * 32], actor=ada.actor)
    assert (await store.get_user(ada.id)).second_factor is True
    assert await store.pending_totp_secret(ada.id) is None
    with pytest.raises(BadRequest):
        await store.start_totp_enrolment(ada.id, "OTHER", actor=ada.actor)
    now = int(clock())
    assert (await _login(store, "n3", now, SecondFactor(step=101)))[0] is LoginOutcome.OK
    reused = await _login(store, "n4", now, SecondFactor(step=101))
    assert reused == (LoginOutcome.BAD_CODE, None)
    recovered = await _login(store, "n5", now, SecondFactor(recovery_hash=b"r" * 32))
    assert recovered[0] is LoginOutcome.OK
    assert await store.reset_totp(ada.id, actor="cli:root") is True
    assert (await store.get_user(ada.id)).second_factor is False


async def test_api_tokens_work_until_revoked(store: Store) -> None:
    ada = await store.add_user("ada", "argon-hash", ADMIN, None, actor="cli:root")
    token = await store.add_api_token(
        "ada", "laptop", b"t" * 32, None, actor="cli:root", scopes="read,write"
    )
    assert [t["name"] for t in await store.list_api_tokens("ada")] == ["laptop"]
    found = await store.user_for_api_token(b"t" * 32)
    assert found is not None and found[0].id == ada.id
    assert found[1] == frozenset({"read", "write"})
    revoked = await store.revoke_api_token(token["id"], actor="cli:root")
    assert revoked["revoked_at"] is not None
    assert await store.user_for_api_token(b"t" * 32) is None
    assert await actions(store, f"token:{token['id']}") == ["token.add", "token.revoke"]
