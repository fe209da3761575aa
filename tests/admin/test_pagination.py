"""Cursor pagination over more than one page."""

from tests.admin.conftest import Staff


async def test_pages_cover_every_license_once(staff: Staff) -> None:
    api = staff.admin
    made = []
    for _ in range(7):
        _, lic = await api.post("/licenses", {"org": "acme", "product": "viewer", "seats": 1})
        made.append(lic["id"])
    _, other = await api.post("/licenses", {"org": "globex", "product": "viewer", "seats": 1})
    seen, cursor, pages = [], None, 0
    while True:
        path = "/licenses?org=acme&limit=3" + (f"&cursor={cursor}" if cursor else "")
        status, page = await api.get(path)
        assert status == 200 and len(page["items"]) <= 3
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made and pages == 3 and other["id"] not in seen


async def test_filters_and_bad_cursors(staff: Staff) -> None:
    api = staff.admin
    _, lic = await api.post("/licenses", {"org": "acme", "product": "editor", "seats": 1})
    await api.post(f"/licenses/{lic['id']}/suspend", {"reason": "filter me"})
    await api.post("/licenses", {"org": "acme", "product": "viewer", "seats": 1})
    _, page = await api.get("/licenses?status=suspended")
    assert [item["id"] for item in page["items"]] == [lic["id"]]
    _, page = await api.get("/licenses?product=editor")
    assert [item["id"] for item in page["items"]] == [lic["id"]]
    for query in ("cursor=nonsense", "cursor=%FF", "limit=0", "limit=201", "limit=x", "status=x"):
        status, answer = await api.get(f"/licenses?{query}")
        assert status == 400 and set(answer) == {"error", "message"}, query
