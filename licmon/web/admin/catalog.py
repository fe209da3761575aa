"""Organizations and products: add (staff with the catalog permission), list."""

from aiohttp import web

from licmon.domain.admin_bodies import parse_org, parse_product
from licmon.domain.idempotency import Answer
from licmon.domain.staff import Permission
from licmon.keys import STORE
from licmon.presenters import org_view, product_view
from licmon.web.admin.auth import admin_read, admin_write, answer_json, check_query, service, user

routes = web.RouteTableDef()


@routes.post("/v1/admin/orgs")
@admin_write(Permission.CATALOG)
async def create_org(request: web.Request, body: object) -> Answer:
    org = await service(request).create_org(user(request), parse_org(body))
    return Answer(201, org_view(org))


@routes.get("/v1/admin/orgs")
@admin_read(Permission.LICENSES)
async def list_orgs(request: web.Request) -> web.StreamResponse:
    """Every organization; a customer's token: its own only."""
    check_query(request.query, set())
    scope = user(request).org_id
    orgs = await request.config_dict[STORE].list_orgs()
    return answer_json(
        {"items": [org_view(org) for org in orgs if scope is None or org.id == scope]}
    )


@routes.post("/v1/admin/products")
@admin_write(Permission.CATALOG)
async def create_product(request: web.Request, body: object) -> Answer:
    code, name = parse_product(body)
    product = await service(request).create_product(user(request), code, name)
    return Answer(201, product_view(product))


@routes.get("/v1/admin/products")
@admin_read(Permission.LICENSES)
async def list_products(request: web.Request) -> web.StreamResponse:
    check_query(request.query, set())
    products = await request.config_dict[STORE].list_products()
    return answer_json({"items": [product_view(product) for product in products]})
