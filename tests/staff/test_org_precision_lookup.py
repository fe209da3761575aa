"""A customer's console request finds its organization's ip_precision by that one
organization, not by reading every organization; a changed precision is honoured at once."""

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from licmon.app import create_app
from licmon.config import Settings
from licmon.datadir import DataDir
from licmon.domain.models import IpPrecision, Org
from licmon.store.sqlite import SqliteStore
from tests.conftest import FakeClock
from tests.staff.conftest import StaffWorld


class CountingStore(SqliteStore):
    """The real SQLite store, counting the reads of every organization."""

    org_lists = 0

    async def list_orgs(self) -> list[Org]:
        self.org_lists += 1
        return await super().list_orgs()


class AccessLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def networks_shown(self) -> list[bool]:
        return [hasattr(record, "client_network") for record in self.records]


async def test_a_customer_request_reads_only_its_own_organization(
    aiohttp_client: Callable[..., Any], staff_settings: Settings, clock: FakeClock
) -> None:
    settings = dataclasses.replace(staff_settings, access_log=True, log_addresses=True)
    store = CountingStore(settings.database_path, synchronous="NORMAL", clock=clock)
    client = await aiohttp_client(create_app(settings, store=store, clock=clock))
    await store.add_org("acme", "Acme Ltd", IpPrecision.FULL, 60)
    await store.add_org("globex", "Globex Corporation", IpPrecision.NETWORK, 30)
    world = StaffWorld(client, DataDir(settings.data_dir).pepper(), clock)
    await world.add_user("acme-staff", "customer", "acme")
    lines = AccessLines()
    logging.getLogger("licmon.access").addHandler(lines)
    try:
        browser = await world.logged_in("acme-staff")
        store.org_lists = 0
        assert (await browser.get("/staff/licenses")).status == 200
        await store.update_org("acme", ip_precision=IpPrecision.NONE)
        lines.records.clear()
        assert (await browser.get("/staff/licenses")).status == 200
        await store.update_org("acme", ip_precision=IpPrecision.NETWORK)
        assert (await browser.get("/staff/licenses")).status == 200
    finally:
        logging.getLogger("licmon.access").removeHandler(lines)
    assert store.org_lists == 0
    assert lines.networks_shown() == [False, True]
