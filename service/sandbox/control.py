"""`/_sandbox/*`: inspection and control endpoints for tests and demos (no auth).

They are not part of TRACE, so they are never faulted, rate limited or logged as
requests; a test can always read the truth even while TRACE routes are failing.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from service.sandbox.config import Outage
from service.sandbox.crm import base_url
from service.sandbox.guard import error, sandbox_state
from service.sandbox.leads import with_base_url
from service.sandbox.times import utcnow


class BadBody(ValueError):
    """The control request body is not what the endpoint takes."""


async def _object(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BadBody("body must be JSON") from None
    if not isinstance(body, dict):
        raise BadBody("body must be a JSON object")
    return body


def _invalid(exc: ValidationError | BadBody) -> JSONResponse:
    if isinstance(exc, BadBody):
        return error(400, "invalid_request", str(exc))
    problems = [
        f"{'.'.join(map(str, item['loc'])) or 'body'}: {item['msg']}"
        for item in exc.errors(include_input=False, include_url=False)
    ]
    return error(400, "invalid_request", "; ".join(problems))


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def offers(request: Request) -> Response:
    return JSONResponse([offer.to_json() for offer in sandbox_state(request).offers.all()])


async def latest_offers(request: Request) -> Response:
    return JSONResponse([offer.to_json() for offer in sandbox_state(request).offers.latest()])


async def stats(request: Request) -> Response:
    return JSONResponse(sandbox_state(request).stats.snapshot())


async def reset(request: Request) -> Response:
    sandbox_state(request).reset()
    return JSONResponse({"status": "reset"})


async def faults(request: Request) -> Response:
    state = sandbox_state(request)
    if request.method == "PUT":
        try:
            state.faults.update(await _object(request))
        except (BadBody, ValidationError) as exc:
            return _invalid(exc)
    return JSONResponse(state.faults.snapshot())


async def revoke_tokens(request: Request) -> Response:
    return JSONResponse({"generation": sandbox_state(request).tokens.revoke_all()})


async def outage(request: Request) -> Response:
    state = sandbox_state(request)
    try:
        state.faults.start_outage(Outage.model_validate(await _object(request)))
    except (BadBody, ValidationError) as exc:
        return _invalid(exc)
    return JSONResponse(state.faults.snapshot())


async def leads(request: Request) -> Response:
    """GET: every lead as the API renders it. POST: `{"count": n, ...partial lead}`."""
    state = sandbox_state(request)
    if request.method == "GET":
        return JSONResponse(with_base_url(state.leads.all(), base_url(request)))
    try:
        template = await _object(request)
    except BadBody as exc:
        return _invalid(exc)
    count = template.pop("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        return error(400, "invalid_request", "count must be a positive integer")
    created = await run_in_threadpool(state.leads.add, count, utcnow(), template)
    return JSONResponse(with_base_url(created, base_url(request)), status_code=201)


async def raw_lead(request: Request) -> Response:
    try:
        lead = await _object(request)
    except BadBody as exc:
        return _invalid(exc)
    stored = sandbox_state(request).leads.insert_raw(lead)
    return JSONResponse(with_base_url(stored, base_url(request)), status_code=201)


async def patch_lead(request: Request) -> Response:
    try:
        changes = await _object(request)
    except BadBody as exc:
        return _invalid(exc)
    lead = sandbox_state(request).leads.patch(request.path_params["lead_id"], changes, utcnow())
    if lead is None:
        return error(404, "not_found")
    return JSONResponse(with_base_url(lead, base_url(request)))


ROUTES = [
    Route("/_sandbox/health", health),
    Route("/_sandbox/offers", offers),
    Route("/_sandbox/offers/latest", latest_offers),
    Route("/_sandbox/stats", stats),
    Route("/_sandbox/reset", reset, methods=["POST"]),
    Route("/_sandbox/faults", faults, methods=["GET", "PUT"]),
    Route("/_sandbox/revoke-tokens", revoke_tokens, methods=["POST"]),
    Route("/_sandbox/outage", outage, methods=["POST"]),
    Route("/_sandbox/leads", leads, methods=["GET", "POST"]),
    Route("/_sandbox/leads/raw", raw_lead, methods=["POST"]),
    Route("/_sandbox/leads/{lead_id}", patch_lead, methods=["PATCH"]),
]
