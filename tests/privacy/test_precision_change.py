"""A precision change reduces every stored personal row at the next retention run: the
connection log (see test_retention) and flag evidence, source networks included."""

import json

from licmon.domain.detectors.events import FlagDraft, FlagKind, Severity
from licmon.domain.flags import FlagRaise
from licmon.domain.models import IpPrecision
from licmon.domain.precision import reduce_evidence, reduce_text
from tests.conftest import START
from tests.dbutil import rows
from tests.privacy.conftest import Proxied

EVIDENCE = {
    "from": {
        "latitude": 51.51,
        "longitude": -0.09,
        "accuracy_km": 10,
        "country": "GB",
        "network": "81.2.69.0/24",
    },
    "to": {"latitude": 58.42, "longitude": 15.62, "country": "SE", "network": "89.160.20.0/24"},
    "hosts": ["81.2.69.160", "2001:db8:1:2::5"],
    "speed_kmh": 1400,
}


async def _flag(pworld: Proxied, license_id: int, scope: str = "") -> int:
    draft = FlagDraft(
        FlagKind.IMPOSSIBLE_TRAVEL, Severity.HIGH, license_id, START, EVIDENCE, scope=scope
    )
    (flag_id,) = await pworld.store.raise_flags([FlagRaise(draft, START + 30 * 86400)])
    return flag_id


def _stored(pworld: Proxied, flag_id: int) -> tuple[dict[str, object], str]:
    ((evidence, scope),) = rows(
        pworld.store.path,  # type: ignore[attr-defined]
        f"SELECT evidence, source_network FROM flags WHERE id = {flag_id}",
    )
    return json.loads(str(evidence)), str(scope)


async def test_flag_evidence_is_kept_at_the_organizations_precision(pworld: Proxied) -> None:
    _, network_lic = await pworld.add_license(org="globex")
    _, none_lic = await pworld.add_license(org="initech")
    evidence, _ = _stored(pworld, await _flag(pworld, network_lic.id))
    assert evidence["hosts"] == ["81.2.69.0/24", "2001:db8:1::/48"]
    assert evidence["from"]["latitude"] == 51.51  # type: ignore[index]
    evidence, scope = _stored(pworld, await _flag(pworld, none_lic.id, "81.2.69.0/24"))
    assert evidence == {
        "from": {"country": "GB", "network": None},
        "to": {"country": "SE", "network": None},
        "hosts": [None, None],
        "speed_kmh": 1400,
    }
    assert scope == ""


async def test_a_precision_change_reduces_flag_evidence_at_the_next_run(pworld: Proxied) -> None:
    _, lic = await pworld.add_license(org="acme")
    flag_id = await _flag(pworld, lic.id, "81.2.69.160")
    assert _stored(pworld, flag_id) == (EVIDENCE, "81.2.69.160")
    await pworld.store.update_org("acme", ip_precision=IpPrecision.NETWORK)
    await pworld.store.run_retention()
    evidence, scope = _stored(pworld, flag_id)
    assert evidence["hosts"] == ["81.2.69.0/24", "2001:db8:1::/48"]
    assert scope == "81.2.69.0/24"
    await pworld.store.update_org("acme", ip_precision=IpPrecision.NONE)
    await pworld.store.run_retention()
    evidence, scope = _stored(pworld, flag_id)
    text = json.dumps(evidence)
    assert "81.2.69" not in text and "51.51" not in text and "2001:db8" not in text
    assert evidence["from"] == {"country": "GB", "network": None}
    assert scope == ""


def test_reduction_leaves_words_alone_and_treats_mapped_addresses_as_ipv4() -> None:
    assert reduce_text("::ffff:89.160.20.128", IpPrecision.NETWORK) == "89.160.20.0/24"
    assert reduce_text("::ffff:89.160.20.128", IpPrecision.FULL) == "::ffff:89.160.20.128"
    assert reduce_text("81.2.69.160/32", IpPrecision.NETWORK) == "81.2.69.0/24"
    assert reduce_text("10.0.0.0/8", IpPrecision.NETWORK) == "10.0.0.0/8"
    assert reduce_text("tor", IpPrecision.NONE) == "tor"
    assert reduce_evidence({"anonymizer": "vpn", "asn": 3320}, IpPrecision.NONE) == {
        "anonymizer": "vpn",
        "asn": 3320,
    }
