"""`/healthz`, `/readyz` and `/metrics` on one small Starlette app.

Liveness only says the event loop answers. Readiness runs every registered check and
reports each by name, so an operator (or a Kubernetes probe log) sees which dependency
is missing: the broker, the consumers, a TRACE token, the state store, the poller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CHECK_TIMEOUT = 2.0


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str = ""


Check = Callable[[], Awaitable[CheckResult]]


class Readiness:
    """Named checks; ready only when all of them pass within the timeout."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def add(self, name: str, check: Check) -> None:
        self._checks[name] = check

    async def evaluate(self) -> dict[str, CheckResult]:
        names = list(self._checks)
        results = await asyncio.gather(*(self._run(self._checks[name]) for name in names))
        return dict(zip(names, results, strict=True))

    @staticmethod
    async def _run(check: Check) -> CheckResult:
        try:
            return await asyncio.wait_for(check(), CHECK_TIMEOUT)
        except TimeoutError:
            return CheckResult(False, f"no answer within {CHECK_TIMEOUT:g} s")
        except Exception as error:  # a failing check is a result, not a crash of the endpoint
            return CheckResult(False, f"{type(error).__name__}: {error}")


def create_app(readiness: Readiness) -> Starlette:
    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        results = await readiness.evaluate()
        ready = all(result.ok for result in results.values())
        body = {
            "status": "ready" if ready else "not_ready",
            "checks": {name: {"ok": r.ok, "detail": r.detail} for name, r in results.items()},
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    routes = [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics)]
    return Starlette(routes=routes)


def server(readiness: Readiness, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for the ops app; runs as a task on the service's event loop."""
    config = uvicorn.Config(
        create_app(readiness), host=host, port=port, log_config=None, access_log=False, lifespan="off"
    )
    return uvicorn.Server(config)
