"""A busy run: no address, key or machine id in the logs or the metrics."""

import logging

import pytest

from licmon.domain.subjects import Subject
from tests.privacy.conftest import DSR_CTX, Proxied


async def test_busy_run_leaks_nothing(pworld: Proxied, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    keys = [(await pworld.add_license(seats=3))[0] for _ in range(3)]
    addresses = [f"198.51.100.{i}" for i in range(1, 20)] + ["2001:db8:77::9"]
    machines = [f"secret-machine-{i:03d}" for i in range(8)]
    for i, address in enumerate(addresses):
        await pworld.checkin_from(keys[i % 3], address, machines[i % 8])
    for address in addresses[:5]:  # key guessing
        await pworld.checkin_from("LM-GUESS-" + address.replace(".", ""), address)
    bad = await pworld.client.post(
        "/v1/checkin",
        data=b'{"key": "' + keys[0].encode() + b'"',
        headers={"Content-Type": "application/json"},
    )
    assert bad.status == 400
    await pworld.store.dsr_export(DSR_CTX, Subject.parse("address", addresses[0]))
    await pworld.store.dsr_erase(DSR_CTX, Subject.parse("address", addresses[1]))
    await pworld.store.run_retention()
    metrics = await (await pworld.client.get("/metrics")).text()
    logs = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert "licmon_checkins_total" in metrics and caplog.records
    for secret in [*keys, *(k.replace("-", "") for k in keys), *addresses, *machines]:
        assert secret not in metrics, secret
        assert secret not in logs, secret
