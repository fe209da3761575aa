"""The console's webhooks page: endpoints and the deliveries given up, for administrators."""

import dataclasses

import pytest

from licmon.config import Settings
from licmon.domain import webhooks
from licmon.domain.webhooks import Attempt
from licmon.services.webhooks.admin import add_endpoint
from licmon.services.webhooks.wiring import SECRET_BOX
from tests.staff.conftest import StaffWorld, fast_hashing, staff_settings, sworld

__all__ = ["fast_hashing", "staff_settings", "sworld"]  # the staff console's fixtures


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The worker stays asleep: this test plays its part by hand."""
    return dataclasses.replace(settings, webhook_poll_seconds=60)


async def test_administrators_see_endpoints_and_failed_deliveries_others_do_not(
    sworld: StaffWorld,
) -> None:
    store, box = sworld.store, sworld.client.app[SECRET_BOX]
    endpoint, secret = await add_endpoint(
        store,
        box,
        "https://127.0.0.1:9/in",
        [webhooks.LICENSE_CREATED],
        actor="t",
        require_https=True,
    )
    await sworld.add_license()

    (due,) = await store.due_webhook_deliveries(int(sworld.clock()) + 60, 10)
    await store.record_webhook_attempt(due.id, Attempt(False, "HTTP 410"), None)  # given up
    await sworld.add_user("ada", "admin")
    await sworld.add_user("sam", "support")
    page = await (await sworld.logged_in("ada")).get("/staff/webhooks")
    text = await page.text()
    assert page.status == 200
    assert "https://127.0.0.1:9/in" in text and "HTTP 410" in text and "license.created" in text
    assert secret not in text and secret[6:] not in text
    assert 'href="/staff/webhooks"' in text
    support = await sworld.logged_in("sam")
    assert (await support.get("/staff/webhooks")).status == 403
    assert 'href="/staff/webhooks"' not in await (await support.get("/staff/")).text()
    assert endpoint.id == 1
