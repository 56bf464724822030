"""CRM routes: the leads feed, the attachment proxy (302, D) and the local file store.

The file route plays S3: it knows nothing about tokens and only trusts the signature
and expiry baked into the URL the proxy handed out.
"""

from __future__ import annotations

import math
from pathlib import PurePath
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.sandbox.auth import Principal
from service.sandbox.files import DOWNLOAD_LIFETIME, file_content
from service.sandbox.guard import error, sandbox_state
from service.sandbox.leads import LeadQuery, QueryError, with_base_url
from service.sandbox.times import utcnow

VARIANTS = ("original", "processed")


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def leads(request: Request, principal: Principal | None) -> Response:
    """One page of leads in the SIM envelope (crm-leads.md §4.2)."""
    try:
        query = LeadQuery.parse(request.query_params.multi_items())
    except QueryError as exc:
        return error(400, "invalid_request", str(exc))
    items, total = sandbox_state(request).leads.page(query)
    pages = math.ceil(total / query.page_size)
    pagination = {
        "page": query.page,
        "pageSize": query.page_size,
        "totalCount": total,
        "totalPages": pages,
        "hasNextPage": query.page < pages,
    }
    return JSONResponse({"data": with_base_url(items, base_url(request)), "pagination": pagination})


def _variant(request: Request) -> str | None:
    variant = request.query_params.get("variant", "original")
    return variant if variant in VARIANTS else None


async def attachment_download(request: Request, principal: Principal | None) -> Response:
    """302 to a short-lived signed URL of the local file store."""
    variant = _variant(request)
    if variant is None:
        return error(400, "invalid_request", "variant must be original or processed")
    state = sandbox_state(request)
    attachment_id = request.path_params["attachment_id"]
    info = state.leads.file(attachment_id, attachments_only=True)
    if info is None or (variant == "processed" and not info.processed):
        return error(404, "not_found")
    path = state.signer.path(attachment_id, variant, utcnow(), DOWNLOAD_LIFETIME)
    return Response(status_code=302, headers={"Location": f"{base_url(request)}{path}"})


async def file_download(request: Request, principal: Principal | None) -> Response:
    """The bytes behind a signed URL; 403 for a bad or expired signature, as S3 answers."""
    state = sandbox_state(request)
    file_id = request.path_params["file_id"]
    if not state.signer.verify(file_id, request.query_params, utcnow()):
        return error(403, "forbidden", "signature does not match or has expired")
    info = state.leads.file(file_id)
    variant = _variant(request)
    if info is None or variant is None or (variant == "processed" and not info.processed):
        return error(404, "not_found")
    content, content_type = file_content(info, variant)
    name = info.file_name if variant == "original" else f"{PurePath(info.file_name).stem}_processed.csv"
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=content_type, headers={"Content-Disposition": disposition})
