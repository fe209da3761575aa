"""Deliveries from a real server to a real receiver on 127.0.0.1: signed, retried with the
same id, given up visibly, redelivered by hand."""

from typing import Any

from licmon.domain import webhooks
from licmon.domain.webhook_retries import MAX_ATTEMPTS
from licmon.domain.webhooks import DeliveryStatus
from tests.conftest import World
from tests.ops.test_metrics import value
from tests.webhooks.conftest import Receiver, eventually, subscribe


async def scraped(world: World) -> str:
    response = await world.client.get("/metrics")
    return await response.text()


async def attempts_seen(receiver: Receiver, count: int) -> None:
    async def check() -> bool:
        return len(receiver.received) >= count

    await eventually(check, f"{count} requests at the receiver")


async def recorded(world: World, attempts: int, status: DeliveryStatus) -> Any:
    async def check() -> bool:
        rows = await world.store.list_webhook_deliveries()
        return bool(rows) and (rows[0].attempts, rows[0].status) == (attempts, status)

    await eventually(check, f"attempt {attempts} recorded as {status}")
    return (await world.store.list_webhook_deliveries())[0]


async def test_a_receiver_failing_twice_gets_one_signed_delivery_with_one_id(
    world: World, receiver: Receiver
) -> None:
    receiver.answers = [500, 503]
    endpoint, secret = await subscribe(world, receiver.url, webhooks.LICENSE_CREATED)
    _, lic = await world.add_license()
    await attempts_seen(receiver, 1)
    await recorded(world, 1, DeliveryStatus.PENDING)
    world.clock.advance(7)  # the first retry comes within 6 s (5 s and jitter)
    await attempts_seen(receiver, 2)
    await recorded(world, 2, DeliveryStatus.PENDING)
    world.clock.advance(25)  # the second within 24 s more
    await attempts_seen(receiver, 3)
    delivered = await recorded(world, 3, DeliveryStatus.DELIVERED)

    bodies = receiver.verified(secret)  # raises on any bad signature
    assert len(receiver.received) == 3  # two refused, one accepted: one delivery
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert ids == {delivered.message_id}
    assert len({r.headers["webhook-timestamp"] for r in receiver.received}) == 3
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["type"] == "license.created"
    assert bodies[0]["data"]["license"] == lic.id
    metrics = await scraped(world)
    assert value(metrics, "licmon_webhook_deliveries_total", outcome="retried") == 2
    assert value(metrics, "licmon_webhook_deliveries_total", outcome="delivered") == 1
    assert endpoint.id == delivered.endpoint_id


async def test_a_tampered_body_does_not_verify(world: World, receiver: Receiver) -> None:
    _, secret = await subscribe(world, receiver.url, webhooks.LICENSE_CREATED)
    await world.add_license()
    await attempts_seen(receiver, 1)
    receiver.received[0].body = receiver.received[0].body.replace(b"created", b"revoked")
    try:
        receiver.verified(secret)
    except Exception as exc:
        assert type(exc).__name__ == "WebhookVerificationError"
    else:
        raise AssertionError("a changed body verified")


async def test_a_receiver_down_for_days_is_given_up_visibly_then_redelivered(
    world: World, receiver: Receiver
) -> None:
    receiver.answers = [500] * MAX_ATTEMPTS
    await subscribe(world, receiver.url, webhooks.LICENSE_CREATED)
    await world.add_license()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        await attempts_seen(receiver, attempt)
        status = DeliveryStatus.FAILED if attempt == MAX_ATTEMPTS else DeliveryStatus.PENDING
        await recorded(world, attempt, status)
        world.clock.advance(15 * 3600)  # past the longest delay (12 h and jitter)
    assert len(receiver.received) == MAX_ATTEMPTS
    assert value(await scraped(world), "licmon_webhook_deliveries_total", outcome="failed") == 1
    (failed,) = await world.store.list_webhook_deliveries(status=DeliveryStatus.FAILED)
    assert failed.last_result == "HTTP 500"

    await world.store.redeliver_webhook(failed.endpoint_id, failed.id, actor="alice")
    await attempts_seen(receiver, MAX_ATTEMPTS + 1)
    done = await recorded(world, 1, DeliveryStatus.DELIVERED)
    assert receiver.received[-1].headers["webhook-id"] == done.message_id == failed.message_id


async def test_an_unreachable_receiver_is_a_failed_attempt_without_its_address(
    world: World, receiver: Receiver
) -> None:
    url = receiver.url
    await receiver.server.close()
    await subscribe(world, url, webhooks.LICENSE_CREATED)
    await world.add_license()
    failed = await recorded(world, 1, DeliveryStatus.PENDING)
    assert failed.last_result == "connection failed"
    assert "127.0.0.1" not in failed.last_result


async def test_a_redirect_is_not_followed(world: World, receiver: Receiver) -> None:
    receiver.answers = [307]
    await subscribe(world, receiver.url, webhooks.LICENSE_CREATED)
    await world.add_license()
    failed = await recorded(world, 1, DeliveryStatus.PENDING)
    assert failed.last_result == "HTTP 307 (redirects are not followed)"
    assert len(receiver.received) == 1
