"""Protocol v1: check-in and release."""

from aiohttp import web

from licmon.domain.checkin import DENIAL_MESSAGES, parse_checkin, parse_release
from licmon.domain.models import CheckinOutcome, CheckinRequest, Outcome
from licmon.domain.offline import parse_borrow
from licmon.keys import SERVICE
from licmon.timetext import iso
from licmon.web.addresses import client_address
from licmon.web.jsonio import json_response, read_json

routes = web.RouteTableDef()


@routes.post("/v1/checkin")
async def checkin(request: web.Request) -> web.Response:
    return await _grant(request, parse_checkin(await read_json(request)))


@routes.post("/v1/borrow")
async def borrow(request: web.Request) -> web.Response:
    """A seat held ``days`` ahead (within the license's max_borrow_days); /v1/release returns it."""
    return await _grant(request, parse_borrow(await read_json(request)))


async def _grant(request: web.Request, req: CheckinRequest) -> web.Response:
    outcome = await request.app[SERVICE].checkin(req, client_address(request))
    if outcome.lease is None:
        return denial(outcome)
    assert outcome.license is not None and outcome.expires_at is not None
    return json_response(
        {
            "status": "granted",
            "renewed": outcome.outcome is Outcome.RENEWED,
            "lease": outcome.lease,
            "expires_at": iso(outcome.expires_at),
            "grace_until": iso(outcome.grace_until or outcome.expires_at),
            "seats": outcome.license.terms.seats,
            "seats_in_use": outcome.seats_in_use,
        }
    )


@routes.post("/v1/release")
async def release(request: web.Request) -> web.Response:
    req = parse_release(await read_json(request))
    outcome = await request.app[SERVICE].release(req, client_address(request))
    if outcome.outcome is not Outcome.RELEASED:
        return denial(outcome)
    return json_response({"status": "released"})


def denial(outcome: CheckinOutcome) -> web.Response:
    reason = outcome.reason.value if outcome.reason else Outcome.INVALID_KEY.value
    body: dict[str, object] = {
        "status": "denied",
        "reason": reason,
        "error": "denied",
        "message": DENIAL_MESSAGES[outcome.reason or reason],
    }
    if outcome.license is not None and outcome.reason is not None:
        body["seats"] = outcome.license.terms.seats
        if outcome.seats_in_use:
            body["seats_in_use"] = outcome.seats_in_use
    return json_response(body, status=403)
