"""One organization's row by id (what a customer's console request reads for its
ip_precision): the precision's value as stored, a change seen at once, on every backend."""

from licmon.domain.models import IpPrecision
from licmon.store.base import Store


async def test_org_info_gives_the_current_ip_precision(store: Store) -> None:
    for precision in IpPrecision:
        org = await store.add_org(f"org-{precision.value}", "Org", precision, 30)
        info = await store.org_info(org.id)
        assert info is not None and IpPrecision(info["ip_precision"]) is precision
    changed = await store.update_org("org-full", ip_precision=IpPrecision.NONE)
    info = await store.org_info(changed.id)
    assert info is not None and IpPrecision(info["ip_precision"]) is IpPrecision.NONE
