"""The sandbox ASGI app: TRACE's routes (under both path styles, SIM) plus `/_sandbox/*`."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from service.logs import get_logger
from service.sandbox import control, crm, tariffs
from service.sandbox.auth import LoginError, Principal
from service.sandbox.config import POLICY_LEADS, SCOPE_LEADS, SCOPE_UPLOAD, RouteGroup, SandboxConfig
from service.sandbox.files import FILES_PATH
from service.sandbox.guard import Handler, RouteSpec, error, guarded, sandbox_state
from service.sandbox.leadgen import ATTACHMENTS_PATH
from service.sandbox.state import SandboxState
from service.sandbox.validation import DIRECT_MARKETING, PPA

LEADS_PATH = "/api/crm/leads/energy-tariff"
log = get_logger(__name__)


async def login(request: Request, principal: Principal | None) -> Response:
    """`POST /api/auth/m2m-login` (D): client credentials in, Bearer JWT out."""
    state = sandbox_state(request)
    try:
        body = await request.json()
    except ValueError:
        body = None
    try:
        client = state.tokens.authenticate(body)
    except LoginError as exc:
        state.stats.bump("login_failures")
        log.info("sandbox.login.refused", status=exc.status, reason=exc.message)
        code = "invalid_request" if exc.status == 400 else "unauthorized"
        return error(exc.status, code, exc.message)
    request.state.client_id = client.client_id
    issued = state.tokens.issue(client)
    state.stats.bump("logins")
    log.info("sandbox.login.ok", client=client.client_id, expires_in=issued.expires_in)
    return JSONResponse(
        {"access_token": issued.access_token, "token_type": "Bearer", "expires_in": issued.expires_in}
    )


def _tariff_route(name: str, path: str, handler: Handler) -> list[BaseRoute]:
    """Upload paths are printed without `/api` (D) but may carry it (U): serve both."""
    endpoint = guarded(RouteSpec(name, RouteGroup.UPLOAD, scope=SCOPE_UPLOAD), handler)
    return [Route(prefix + path, endpoint, methods=["POST"]) for prefix in ("", "/api")]


def _crm_route(name: str, path: str, handler: Handler) -> Route:
    route = RouteSpec(name, RouteGroup.LEADS, scope=SCOPE_LEADS, policy=POLICY_LEADS, rate_limited=True)
    return Route(path, guarded(route, handler), methods=["GET"])


def trace_routes() -> list[BaseRoute]:
    """Every route a TRACE client talks to, plus the file store its redirects point at."""
    return [
        Route("/api/auth/m2m-login", guarded(RouteSpec("login", RouteGroup.LOGIN), login), methods=["POST"]),
        *_tariff_route(
            "upload_dm",
            "/tariff-management/direct-marketing/upload",
            tariffs.upload_handler(DIRECT_MARKETING),
        ),
        *_tariff_route("upload_ppa", "/tariff-management/ppa/upload", tariffs.upload_handler(PPA)),
        *_tariff_route(
            "contract_options",
            "/tariff-management/offers/schedules/contract-options",
            tariffs.contract_options,
        ),
        _crm_route("leads", LEADS_PATH, crm.leads),
        _crm_route("attachment", ATTACHMENTS_PATH + "/{attachment_id}/download", crm.attachment_download),
        Route(
            FILES_PATH + "/{file_id}", guarded(RouteSpec("file", None), crm.file_download), methods=["GET"]
        ),
    ]


def build_app(config: SandboxConfig, state: SandboxState | None = None) -> Starlette:
    """The ASGI app over `state` (a fresh one from `config` if not given)."""
    app = Starlette(routes=[*trace_routes(), *control.ROUTES])
    app.state.sandbox = state or SandboxState(config)
    return app
