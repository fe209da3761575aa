"""A JSON body with a key given twice is refused (400): a proxy that reads the first and
licmon reading the last would see two different requests."""

import pytest

from licmon.errors import BadRequest
from licmon.web.jsonio import parse_json
from tests.conftest import World, checkin_body
from tests.dbutil import count

DUPLICATE_BODIES = [
    b'{"key": "LM-x", "key": "LM-y"}',
    b'{"a": {"machine": "m", "machine": "n"}}',
    b'[{"x": 1, "x": 1}]',
]


@pytest.mark.parametrize("raw", DUPLICATE_BODIES)
def test_duplicate_keys_anywhere_are_refused(raw: bytes) -> None:
    with pytest.raises(BadRequest, match="appears twice"):
        parse_json(raw)


async def test_a_checkin_with_a_duplicate_key_is_a_400_and_changes_nothing(world: World) -> None:
    key, _ = await world.add_license()
    body = checkin_body(key, "machine-0001")
    text = "{" + ", ".join(f'"{k}": "{v}"' for k, v in body.items() if isinstance(v, str))
    raw = (text + ', "machine": "machine-0002"}').encode()
    response = await world.client.post(
        "/v1/checkin", data=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    answer = await response.json()
    assert answer["error"] == "bad_request" and "appears twice" in answer["message"]
    assert count(world.store.path, "seats") == 0  # type: ignore[attr-defined]
