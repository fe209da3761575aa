"""The client's address, as the request shows it: the socket peer, or a trusted proxy's header."""

from aiohttp import web

from licmon.domain.network import IPAddress, resolve_client
from licmon.errors import BadRequest
from licmon.keys import TRUSTED_PROXIES


def client_address(request: web.Request) -> IPAddress:
    trusted = request.app[TRUSTED_PROXIES]
    address = resolve_client(_peer(request), request.headers.getall(trusted.header, []), trusted)
    if address is None:
        raise BadRequest("The client address cannot be determined.")
    return address


def _peer(request: web.Request) -> str | None:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return str(peer[0]) if peer else None
