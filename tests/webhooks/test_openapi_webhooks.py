"""/openapi.json describes every webhook route and method the app serves, and the answers
of a live server carry the fields the description requires."""

from typing import Any

from licmon.domain import webhooks
from tests.admin.conftest import Api
from tests.conftest import World
from tests.webhooks.conftest import Receiver

PREFIX = "/v1/admin/webhooks"


async def spec(world: World) -> dict[str, Any]:
    return await (await world.client.get("/openapi.json")).json()


async def test_every_webhook_route_and_method_is_described(world: World) -> None:
    paths = (await spec(world))["paths"]
    served = {
        (r.resource.canonical, r.method.lower())
        for r in world.client.app.router.routes()
        if r.resource and r.resource.canonical.startswith(PREFIX) and r.method != "HEAD"
    }
    described = {
        (path, method)
        for path, item in paths.items()
        if path.startswith(PREFIX)
        for method in item
        if method != "parameters"
    }
    assert served == described
    assert "bearer" in (await spec(world))["components"]["securitySchemes"]


async def test_answers_hold_what_the_description_requires(hooks: Api, receiver: Receiver) -> None:
    paths = (await spec(hooks.world))["paths"]
    body = {"url": receiver.url, "events": [webhooks.LICENSE_CREATED]}
    status, created = await hooks.post("/webhooks", body)
    assert status == 201
    created_schema = paths[PREFIX]["post"]["responses"]["201"]["content"]["application/json"]
    assert set(created_schema["schema"]["required"]) <= set(created)
    status, listed = await hooks.get("/webhooks")
    item_schema = paths[PREFIX]["get"]["responses"]["200"]["content"]["application/json"]
    item = item_schema["schema"]["properties"]["items"]["items"]
    assert set(item["required"]) <= set(listed["items"][0])
    assert set(listed["items"][0]) <= set(item["properties"])
