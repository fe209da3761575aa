"""Issue 17: no account oracle on /metrics, every attempt in the audit log, a known
device is not locked out by strangers, and API tokens with scopes and an expiry."""

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from licmon.domain.audit import first_broken
from licmon.domain.sessions import new_api_token, token_hash
from licmon.store.sqlite import audit_sql, connect
from tests.staff.conftest import PASSWORD, StaffWorld
from tests.staff.test_login import db

DEVICE = "licmon_device"


async def login_samples(world: StaffWorld) -> dict[tuple[tuple[str, str], ...], float]:
    text = await (await world.client.get("/metrics")).text()
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "licmon_staff_logins_total":
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


async def test_metrics_tell_only_success_or_failure(sworld: StaffWorld) -> None:
    await sworld.add_user("alice", "admin")
    await sworld.add_user("bob", "analyst")
    await sworld.store.set_user_disabled("bob", True, actor="cli:t")
    before = await login_samples(sworld)
    attempts = [("nobody", PASSWORD), ("bob", PASSWORD)]
    attempts += [("alice", "wrong password!")] * 5 + [("alice", PASSWORD)]  # the last: locked
    for i, (username, password) in enumerate(attempts):
        await sworld.browser(f"198.51.100.{i + 1}").submit_login(username, password)
    after = await login_samples(sworld)
    assert set(after) == {(("outcome", "failure"),), (("outcome", "success"),)}
    assert set(before) == set(after)  # label by label: no label appears for any reason
    assert after[(("outcome", "failure"),)] - before[(("outcome", "failure"),)] == 8
    assert after[(("outcome", "success"),)] == before[(("outcome", "success"),)]
    outcomes = [r[0] for r in db(sworld, "SELECT outcome FROM login_attempts ORDER BY id")]
    assert outcomes == ["bad_credentials", "disabled"] + ["bad_credentials"] * 5 + ["locked"]


async def test_every_attempt_is_a_chained_audit_entry_with_ids_only(sworld: StaffWorld) -> None:
    await sworld.add_user("alice", "admin")
    address = "198.51.100.42"
    await sworld.browser(address).submit_login("alice", "wrong password!")
    await sworld.browser(address).submit_login("nobody")
    await sworld.browser(address).submit_login("alice", challenge="stale.form")
    browser = sworld.browser(address)
    form = {"username": "alice", "password": PASSWORD, "challenge": await browser.challenge()}
    cross = await sworld.client.post(
        "/staff/login",
        data=form,
        headers={"Sec-Fetch-Site": "cross-site", "X-Forwarded-For": address},
        allow_redirects=False,
    )
    assert cross.status == 403
    await browser.login("alice")
    entries = db(
        sworld,
        "SELECT actor, target, outcome, details FROM audit WHERE action = 'login.attempt' "
        "ORDER BY id",
    )
    alice = f"user:{sworld.users['alice'].id}"
    reasons = ["bad_credentials", "bad_credentials", "bad_form", "refused", "ok"]
    assert [(e[0], e[2]) for e in entries] == [
        (alice, "failed"),
        ("anonymous", "failed"),
        ("anonymous", "failed"),
        ("anonymous", "failed"),
        (alice, "ok"),
    ]
    assert [e[3] for e in entries] == [f'{{"reason": "{r}"}}' for r in reasons]
    attempt_ids = [int(str(e[1]).split(":")[1]) for e in entries]
    logged = db(sworld, "SELECT id, outcome FROM login_attempts ORDER BY id")
    assert [r[0] for r in logged] == attempt_ids and [r[1] for r in logged] == reasons
    everything = str(db(sworld, "SELECT * FROM audit"))
    assert address not in everything and PASSWORD not in everything
    assert browser.cookie not in everything
    conn = connect(sworld.store.path)  # type: ignore[attr-defined]
    try:
        assert first_broken(audit_sql.entries(conn)) is None
    finally:
        conn.close()


async def login_with_device(world: StaffWorld, device: str, password: str) -> Any:
    browser = world.browser("192.0.2.10")
    form = {"username": "alice", "password": password, "challenge": await browser.challenge()}
    headers = {**browser.headers(), "Cookie": f"{DEVICE}={device}"} if device else None
    return await world.client.post(
        "/staff/login", data=form, headers=headers or browser.headers(), allow_redirects=False
    )


async def test_strangers_cannot_lock_the_owner_out_of_a_known_browser(
    sworld: StaffWorld,
) -> None:
    await sworld.add_user("alice", "admin")
    first = await login_with_device(sworld, "", PASSWORD)
    assert first.status == 303
    morsel = first.cookies[DEVICE]
    assert morsel["httponly"] and morsel["secure"] and morsel["path"] == "/staff/login"
    device = morsel.value
    sworld.clock.advance(1)
    for i in range(10):  # an attacker keeps the account locked for everyone else
        await sworld.browser(f"203.0.113.{i + 1}").submit_login("alice", "wrong password!")
    assert (await sworld.browser("192.0.2.10").submit_login("alice")).status == 401
    forged = await login_with_device(sworld, "not-a-device-of-alice", PASSWORD)
    assert forged.status == 401  # an unknown cookie is a stranger: locked
    owner = await login_with_device(sworld, device, PASSWORD)
    assert owner.status == 303  # the owner's browser is let in all the same
    sworld.clock.advance(1)
    for _ in range(5):  # a stolen device cookie is throttled on its own
        assert (await login_with_device(sworld, device, "wrong password!")).status == 401
    assert (await login_with_device(sworld, device, PASSWORD)).status == 401


async def token_for(world: StaffWorld, username: str, scopes: str) -> str:
    secret = new_api_token()
    await world.store.add_api_token(
        username, "t", token_hash(secret), None, actor="cli:t", scopes=scopes
    )
    return secret


async def test_a_request_outside_the_tokens_scopes_is_refused(sworld: StaffWorld) -> None:
    await sworld.add_user("alice", "admin")
    reader = await token_for(sworld, "alice", "read")
    writer = await token_for(sworld, "alice", "licenses:write")
    ok = await sworld.client.get("/staff/api/me", headers={"Authorization": f"Bearer {reader}"})
    assert ok.status == 200
    refused = await sworld.client.get(
        "/staff/api/me", headers={"Authorization": f"Bearer {writer}"}
    )
    assert refused.status == 403 and (await refused.json())["error"] == "forbidden"
    listed = {row["name"]: row for row in await sworld.store.list_api_tokens("alice")}
    assert listed["t"]["scopes"] in ("read", "licenses:write")
