"""Both backends: an air-gapped seat given back with its return code, and the reads the
server starts from (catalog, products, gauges, writer health)."""

import pytest

from licmon.domain.offline import ActivationRequest, return_secret
from licmon.errors import Conflict, NotFound
from licmon.store.base import Store
from tests.conftest import FakeClock
from tests.store import peek
from tests.store.test_seat_counter_contract import KEYS, token, two_licenses


async def test_a_return_code_frees_the_seat_once_and_a_wrong_one_is_refused(
    store: Store, clock: FakeClock
) -> None:
    acme, _ = await two_licenses(store, seats=2)
    now = int(clock())
    req = ActivationRequest("key", "viewer", "airgapped-01", "nonce-1", now)
    grant = await store.issue_activation(KEYS[0], req, 2, token)
    assert peek.live_seats(store, acme.id, now) == 1
    with pytest.raises(NotFound):
        await store.return_activation(grant.activation_id, "not-the-code")
    assert peek.live_seats(store, acme.id, now) == 1
    secret = return_secret(token(acme, grant))
    assert await store.return_activation(grant.activation_id, secret) == acme.id
    assert peek.live_seats(store, acme.id, now) == 0
    with pytest.raises(Conflict):
        await store.return_activation(grant.activation_id, secret)
    assert [c for c in peek.counters(store) if c[0] == acme.id] == [(acme.id, 0, 0)]


async def test_the_start_up_reads_see_what_was_added(store: Store, clock: FakeClock) -> None:
    acme, globex = await two_licenses(store, seats=3)
    snapshot = await store.load_catalog()
    assert {lic.id for lic in dict(snapshot.licenses).values()} == {acme.id, globex.id}
    assert [p.code for p in await store.list_products()] == ["viewer"]
    gauges = await store.gauges(int(clock()))
    assert [(p.product, p.licensed, p.in_use) for p in gauges.products] == [("viewer", 6, 0)]
    await store.check_writable()
    health = store.writer_health()
    assert health.alive and not health.storage_failing and not health.database_unreachable
