"""Reading a list page's query (offset, limit, search) and linking its neighbours."""

from urllib.parse import urlencode

from aiohttp import web

from licmon.domain.paging import Listed, PageRequest, page_request


def page_of(request: web.Request) -> PageRequest:
    return page_request(request.query.get("offset"), request.query.get("limit"))


def page_links(request: web.Request, listed: Listed[object]) -> dict[str, str]:
    """The summary and the links to the previous and next pages, other filters kept."""
    links = {"summary": listed.summary, "previous": "", "next": ""}
    for name, offset in (("previous", listed.previous_offset), ("next", listed.next_offset)):
        if offset is not None:
            query = {**request.query, "offset": str(offset)}
            links[name] = f"{request.path}?{urlencode(query)}"
    return links
