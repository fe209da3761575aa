"""Every event, caused through the live server's API and check-ins, reaches a real receiver
with ids and facts only: no address, key, token, secret, machine fingerprint, staff name,
organization name or free-text reason in any payload."""

import ipaddress
import json
import re
from typing import Any

from licmon.domain import webhooks
from licmon.domain.detectors.events import FlagDraft, FlagKind, Severity
from licmon.domain.flags import FlagRaise
from licmon.domain.webhooks import iso
from licmon.services.webhooks.wiring import WEBHOOK_JOBS
from tests.admin.conftest import Api, Staff
from tests.conftest import checkin_body
from tests.webhooks.conftest import Receiver, eventually

DAY = 86400
IPV4 = re.compile(r"\b\d{1,3}(\.\d{1,3}){3}\b")
REASON = "Ada Lovelace called from 198.51.100.77 about it"
MACHINES = ("machine-fp-0001", "machine-fp-0002")


def strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.items() for part in item for s in strings(part)]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return [value] if isinstance(value, str) else []


def is_address(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


async def cause_every_event(staff: Staff, hooks: Api) -> dict[str, str]:
    """Each event type once at least; the secrets and names used, to look for."""
    client, store, clock = staff.world.client, staff.world.store, staff.world.clock
    status, lic = await hooks.post("/licenses", {"org": "acme", "product": "viewer", "seats": 1})
    assert status == 201
    key, license_id = lic["key"], lic["id"]
    until = iso(int(clock()) + 5 * DAY)  # within webhook_expiring_days
    status, _, _ = await hooks.call("PATCH", f"/licenses/{license_id}", {"valid_until": until})
    assert status == 200
    for machine in MACHINES:  # the second is refused: seats exhausted
        await client.post("/v1/checkin", json=checkin_body(key, machine))
    status, machines = await hooks.get(f"/licenses/{license_id}/machines")
    machine_id = machines["items"][0]["id"]
    status, _, _ = await hooks.call(
        "DELETE", f"/licenses/{license_id}/machines/{machine_id}?reason=asked+by+Ada+Lovelace"
    )
    assert status == 200
    draft = FlagDraft(
        FlagKind.NETWORK_SPREAD,
        Severity.HIGH,
        license_id,
        int(clock()),
        {"networks": ["198.51.100.0/24", "2001:db8::/48"], "address": "203.0.113.9"},
        "",
    )
    (flag_id,) = await store.raise_flags([FlagRaise(draft, int(clock()) + DAY)])
    decision = {"status": "acknowledged", "reason": REASON}
    assert (await hooks.post(f"/flags/{flag_id}/decision", decision))[0] == 200
    for action in ("suspend", "resume", "revoke"):
        assert (await hooks.post(f"/licenses/{license_id}/{action}", {"reason": REASON}))[0] == 200
    status, other = await hooks.post(
        "/licenses", {"org": "acme", "product": "viewer", "valid_until": until}
    )
    assert status == 201
    await client.app[WEBHOOK_JOBS].housekeeping()  # license.expiring
    return {"key": key, "other key": other["key"], "token": hooks.token}


async def test_no_payload_carries_personal_data_or_secrets(
    staff: Staff, hooks: Api, receiver: Receiver
) -> None:
    status, hook = await hooks.post(
        "/webhooks", {"url": receiver.url, "events": list(webhooks.EVENT_TYPES)}
    )
    assert status == 201
    secrets = await cause_every_event(staff, hooks)
    secrets["webhook secret"] = hook["secret"]

    seen: set[str] = set()

    async def every_type() -> bool:
        seen.update(json.loads(r.body)["type"] for r in receiver.received)
        return seen == set(webhooks.EVENT_TYPES)

    try:
        await eventually(every_type, "one delivery of every event type")
    except AssertionError:
        raise AssertionError(f"missing: {set(webhooks.EVENT_TYPES) - seen}") from None
    forbidden = {
        **secrets,
        **{f"machine {m}": m for m in MACHINES},
        "staff name": "Ada",
        "username": '"ada"',
        "org name": "Acme Ltd",
        "reason": "Lovelace",
        "token prefix": "lmt_",
        "key prefix": "LM-",
        "secret prefix": "whsec_",
    }
    for body in receiver.verified(hook["secret"]):
        raw = json.dumps(body)
        assert not IPV4.search(raw), raw
        assert not [s for s in strings(body) if is_address(s)], raw
        leaked = [name for name, text in forbidden.items() if text in raw]
        assert not leaked, (leaked, raw)
