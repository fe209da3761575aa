"""/openapi.json as a contract: limits from the validation, statuses, the /docs page."""

import re

from licmon.domain import license_keys
from licmon.domain.terms import TERM_FIELDS
from licmon.domain.validation import MACHINE_LENGTH, NONCE_CHARS
from tests.admin.conftest import Staff
from tests.conftest import World

OPERATIONS = ("get", "post", "patch", "delete")


async def spec_of(world: World) -> dict:  # type: ignore[type-arg]
    response = await world.client.get("/openapi.json")
    assert response.status == 200
    return await response.json()  # type: ignore[no-any-return]


async def test_protocol_limits_are_the_validations(world: World) -> None:
    spec = await spec_of(world)
    checkin = spec["paths"]["/v1/checkin"]["post"]["requestBody"]["content"]["application/json"]
    fields = checkin["schema"]["properties"]
    assert (fields["machine"]["minLength"], fields["machine"]["maxLength"]) == MACHINE_LENGTH
    assert (fields["nonce"]["minLength"], fields["nonce"]["maxLength"]) == NONCE_CHARS
    assert re.fullmatch(fields["key"]["pattern"].strip("^$"), license_keys.generate())
    assert checkin["schema"]["additionalProperties"] is False
    responses = spec["paths"]["/v1/checkin"]["post"]["responses"]
    assert {"200", "400", "403", "413", "415", "429", "503"} <= set(responses)


async def test_every_path_parameter_is_defined(world: World) -> None:
    spec = await spec_of(world)
    for path, item in spec["paths"].items():
        named = set(re.findall(r"{(\w+)}", path))
        for method in OPERATIONS:
            if method in item:
                declared = {
                    p["name"] for p in item[method].get("parameters", []) if p["in"] == "path"
                }
                assert declared == named, (method, path)


async def test_admin_operations_say_who_may_call_and_every_status(world: World) -> None:
    spec = await spec_of(world)
    admin = {p: item for p, item in spec["paths"].items() if p.startswith("/v1/admin")}
    assert len(admin) >= 12
    for path, item in admin.items():
        for method in OPERATIONS:
            if method not in item:
                continue
            op = item[method]
            assert op["security"] == [{"bearer": []}], path
            assert {"400", "401", "403"} <= set(op["responses"]), (method, path)
            if method == "post":
                assert "Idempotency-Key" in {p["name"] for p in op["parameters"]}
                assert {"409", "422", "413", "415"} <= set(op["responses"])
    terms = spec["components"]["schemas"]["TermsChange"]["properties"]
    assert set(terms) == set(TERM_FIELDS)  # every field of LicenseTerms may be changed
    assert terms["seats"]["minimum"] == TERM_FIELDS["seats"].limits[0]


async def test_the_docs_page_is_served_from_here_without_a_cdn(staff: Staff) -> None:
    client = staff.world.client
    page = await client.get("/docs")
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/docs/") for source in sources)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for source in sources:
        asset = await client.get(source)
        assert asset.status == 200, source
        assert asset.content_type in ("text/javascript", "text/css")
        assert len(await asset.read()) > 100
    missing = await client.get("/docs/../../etc/passwd")
    assert missing.status == 404
    assert (await client.get("/docs/index.html")).status == 404
