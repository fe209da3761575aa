"""Lease chains with the real client: a copied state directory (a cloned VM image) forks
its installation's chain against a running licmon."""

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

from licmon.client.status import State
from tests.conftest import World


async def flags_of(world: World, kind: str) -> list[dict[str, Any]]:
    return await world.store.list_flags(None, kind=kind)


async def test_two_copies_of_one_installation_fork_the_chain_and_are_flagged(
    world: World, new_client: Any, state_dir: Path, tmp_path: Path
) -> None:
    key, lic = await world.add_license(seats=2)
    original = new_client(key)
    lease = (await original.checkin()).lease
    saved = json.loads((state_dir / "chain-viewer.json").read_text())
    assert lease is not None and saved["last"] == lease.lease_id
    copy_dir = tmp_path / "copy"
    shutil.copytree(state_dir, copy_dir)  # the VM image is cloned here
    clone = new_client(key, state_dir=copy_dir)
    assert (await clone.checkin()).licensed  # as good as a lost answer: not yet a fork
    assert await flags_of(world, "cloned_machine") == []
    assert (await original.checkin()).licensed  # again as good as a retried answer
    assert await flags_of(world, "cloned_machine") == []
    assert (await clone.checkin()).licensed  # the chain moved on without it: a fork
    (flag,) = await flags_of(world, "cloned_machine")
    assert flag["license_id"] == lic.id and flag["severity"] == "high"
    lease = (await original.checkin()).lease
    assert lease is not None and lease.claims["prev"]  # every lease names its predecessor


async def test_a_license_refusing_clones_denies_the_stale_branch(
    world: World, new_client: Any, state_dir: Path, tmp_path: Path
) -> None:
    key, _ = await world.add_license(seats=2, refuse_cloned=True)
    original = new_client(key)
    await original.checkin()
    shutil.copytree(state_dir, tmp_path / "copy")
    clone = new_client(key, state_dir=tmp_path / "copy")
    assert (await clone.checkin()).licensed
    assert (await original.checkin()).licensed
    status = await clone.checkin()  # the branch the chain left behind
    assert status.state is State.DENIED and status.reason == "cloned_machine"
    assert "copied" in status.message
    assert (await original.checkin()).licensed
    assert len(await flags_of(world, "cloned_machine")) == 1


async def test_instances_of_one_installation_on_one_machine_share_its_chain(
    world: World, new_client: Any
) -> None:
    key, _ = await world.add_license(seats=1, max_processes=3)
    first, second = new_client(key), new_client(key)  # one state directory
    second._process = "another-instance"
    for client in (first, second, first, second, first, second):
        assert (await client.checkin()).licensed
    for _ in range(4):  # at once: one check-in holds the chain at a time
        together = await asyncio.gather(first.checkin(), second.checkin())
        assert all(status.licensed for status in together)
    assert await flags_of(world, "cloned_machine") == []
