"""Price Upload API routes: DM and PPA uploads, and the contract-options query.

Uploads follow the documented envelope (D) and the SIM rules for the gaps: a schema
error anywhere rejects the whole file with 400 and one "path: problem" line per error;
configured business rules reject a whole request or single offers (SIM, for testing).
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.logs import get_logger
from service.sandbox.auth import Principal
from service.sandbox.config import RejectMode, RejectRule
from service.sandbox.guard import Handler, sandbox_state
from service.sandbox.offers import OptionsQuery
from service.sandbox.state import SandboxState
from service.sandbox.validation import SCALARS, InvalidFile, ParsedOffer, Product, decode_file, parse_upload

IMPORTED = "Imported successfully"
log = get_logger(__name__)


def _rejected(errors: list[str]) -> JSONResponse:
    return JSONResponse({"success": False, "results": [], "errors": errors}, status_code=400)


async def _file_bytes(request: Request) -> bytes:
    """The content of the single file part of a multipart body."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise InvalidFile("request: must be multipart/form-data carrying one JSON file part")
    try:
        form = await request.form()
    except HTTPException as exc:
        raise InvalidFile(f"request: malformed multipart body ({exc.detail})") from None
    try:
        files = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
        if len(files) != 1:
            raise InvalidFile(f"file: expected exactly one file part, got {len(files)}")
        return await files[0].read()
    finally:
        await form.close()


def _rule_for(name: str, rules: list[RejectRule], mode: RejectMode) -> RejectRule | None:
    return next((r for r in rules if r.mode is mode and r.contains in name), None)


def _request_rejections(offers: list[ParsedOffer], rules: list[RejectRule]) -> list[str]:
    return [
        f'{offer.path}.name: rejected by business rule (name contains "{rule.contains}")'
        for offer in offers
        if (rule := _rule_for(offer.name, rules, RejectMode.REQUEST)) is not None
    ]


def _import(
    state: SandboxState, offers: list[ParsedOffer], rules: list[RejectRule], product: Product, path: str
) -> list[dict[str, Any]]:
    """Store the accepted offers; one result per tier of every offer, in submission order."""
    refused = {o.path: r for o in offers if (r := _rule_for(o.name, rules, RejectMode.OFFER)) is not None}
    stored = iter(state.offers.store([o for o in offers if o.path not in refused], product.name, path))
    results: list[dict[str, Any]] = []
    for offer in offers:
        rule = refused.get(offer.path)
        if rule is None:
            results += [{"offerId": v.offer_id, "success": True, "message": IMPORTED} for v in next(stored)]
        else:
            message = f'Rejected: name contains "{rule.contains}" (business rule)'
            results += [
                {"offerId": None, "success": False, "message": message} for _ in offer.tiers or (None,)
            ]
    return results


def upload_handler(product: Product) -> Handler:
    """The upload route of one product (direct-marketing or ppa)."""

    async def upload(request: Request, principal: Principal | None) -> Response:
        state = sandbox_state(request)
        try:
            document = decode_file(await _file_bytes(request))
        except InvalidFile as exc:
            return _rejected([str(exc)])
        offers, errors = parse_upload(document, product)
        rules = state.faults.faults.reject_names
        errors = errors or _request_rejections(offers, rules)
        if errors:
            log.info("sandbox.upload.rejected", product=product.name, errors=len(errors))
            return _rejected(errors)
        results = _import(state, offers, rules, product, request.url.path)
        log.info("sandbox.upload.done", product=product.name, offers=len(offers), results=len(results))
        return JSONResponse({"success": all(r["success"] for r in results), "results": results})

    return upload


def _options_query(body: object) -> tuple[OptionsQuery | None, list[str]]:
    if not isinstance(body, dict):
        return None, ["body: must be a JSON object"]
    errors: list[str] = []
    tariff_type, capacity = body.get("tariffType"), body.get("installedCapacity")
    if isinstance(tariff_type, bool) or not isinstance(tariff_type, int):
        errors.append("tariffType: is required and must be an integer")
        tariff_type = 0
    if isinstance(capacity, bool) or not isinstance(capacity, int | float) or capacity < 0:
        errors.append("installedCapacity: is required and must be a number >= 0")
        capacity = 0.0
    configuration = body.get("configuration") or {}
    if not isinstance(configuration, dict):
        errors.append("configuration: must be an object")
        configuration = {}
    for key in ("technology", "countryCode"):
        if body.get(key) is not None and not isinstance(body[key], str):
            errors.append(f"{key}: must be a string")
    if errors:
        return None, errors
    scalars = {k: v for k, v in configuration.items() if isinstance(v, SCALARS) and k != "technology"}
    query = OptionsQuery(
        tariff_type=tariff_type,
        installed_capacity=float(capacity),
        technology=body.get("technology") or configuration.get("technology"),
        country_code=body.get("countryCode"),
        configuration=scalars,
    )
    return query, []


async def contract_options(request: Request, principal: Principal | None) -> Response:
    """Latest version of every matching offer whose tier holds the capacity (SIM, other.md §1)."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    query, errors = _options_query(body)
    if query is None:
        return JSONResponse({"success": False, "options": [], "errors": errors}, status_code=400)
    options = sandbox_state(request).offers.options(query)
    return JSONResponse({"success": True, "options": [option.option_json() for option in options]})
