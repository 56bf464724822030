"""The TRACE client: tariff uploads and CRM leads through one pooled HTTP client.

Uploads are retried on 500 as well as on 502-504/429/network errors even though they
are not idempotent: TRACE may already have stored the offer, but a repeated upload only
adds a newer version of the same configuration (D), which the pipeline is built for.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Self

import httpx
import orjson

from service import metrics
from service.logs import get_logger
from service.trace.auth import TraceAuth
from service.trace.errors import UnavailableError, UnexpectedResponseError
from service.trace.profile import TraceProfile
from service.trace.proxy import describe
from service.trace.ratelimit import RateLimiter
from service.trace.responses import json_body, raise_for_status
from service.trace.results import UploadResult, map_results
from service.trace.retry import RetryPolicy
from service.trace.settings import TraceSettings
from service.trace.token import TokenManager
from service.trace.transport import DEADLINE, TraceTransport

DM_UPLOAD = "/tariff-management/direct-marketing/upload"  # D
PPA_UPLOAD = "/tariff-management/ppa/upload"  # D
LEADS = "/api/crm/leads/energy-tariff"  # D
log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class LeadPage:
    """One page of leads as TRACE sent them (raw JSON: the lead schema is undocumented)."""

    number: int
    items: list[dict[str, Any]]
    has_next: bool


class TraceClient:
    """Everything the bridge asks of TRACE, with auth, retries and the CRM rate limit built in.

    One instance per process: it owns the connection pool, the shared token (`tokens`)
    and the CRM rate limiter, which only work as intended when nobody else bypasses them.
    """

    def __init__(
        self,
        settings: TraceSettings,
        profile: TraceProfile,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._profile = profile
        self._http = _http_client(settings, profile, transport)
        self.tokens = TokenManager(settings, self._http)
        self._auth = TraceAuth(self.tokens)

    async def __aenter__(self) -> Self:
        self.tokens.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.tokens.aclose()
        await self._http.aclose()

    async def upload_direct_marketing(self, offers: Sequence[Mapping[str, Any]]) -> UploadResult:
        """Upload Direct Marketing offers (TRACE's camelCase JSON) in one file."""
        return await self._upload("upload_dm", DM_UPLOAD, offers)

    async def upload_ppa(self, offers: Sequence[Mapping[str, Any]]) -> UploadResult:
        """Upload PPA offers (TRACE's camelCase JSON) in one file."""
        return await self._upload("upload_ppa", PPA_UPLOAD, offers)

    async def iter_leads(
        self, *, updated_from: datetime | None = None, created_from: datetime | None = None
    ) -> AsyncIterator[LeadPage]:
        """Every page of leads matching the filters, first to last (filters are inclusive)."""
        profile = self._profile
        filters = {
            profile.leads_updated_from_param: updated_from,
            profile.leads_created_from_param: created_from,
        }
        params: dict[str, str | int] = {
            name: _iso(moment) for name, moment in filters.items() if moment is not None
        }
        params[profile.leads_page_size_param] = self._settings.crm_page_size
        number = profile.leads_first_page
        while True:
            query = {**params, profile.leads_page_param: number}
            response = await self._call("crm_leads", partial(self._leads_request, query))
            page = self._lead_page(number, json_body("crm_leads", response))
            yield page
            if not page.has_next:
                return
            number += 1

    def _leads_request(self, query: dict[str, str | int], deadline: float) -> httpx.Request:
        return self._http.build_request("GET", LEADS, params=query, extensions={DEADLINE: deadline})

    async def _upload(self, endpoint: str, path: str, offers: Sequence[Mapping[str, Any]]) -> UploadResult:
        profile = self._profile
        if not 1 <= len(offers) <= profile.upload_max_offers:
            raise ValueError(f"an upload carries 1 to {profile.upload_max_offers} offers, not {len(offers)}")
        root = {"offer": offers[0]} if len(offers) == 1 else {"offers": list(offers)}
        part = (profile.upload_file_name, orjson.dumps(root), profile.upload_file_content_type)
        files = {profile.upload_file_field: part}
        started = time.perf_counter()
        response = await self._call(
            endpoint,
            lambda _: self._http.build_request("POST", profile.upload_path_prefix + path, files=files),
        )
        result = map_results(
            endpoint, offers, json_body(endpoint, response), per_tier=profile.upload_results_per_tier
        )
        log.info(
            "trace.upload_done",
            endpoint=endpoint,
            offers=len(offers),
            failed=sum(not outcome.success for outcome in result.offers),
            duration_ms=_ms_since(started),
        )
        return result

    async def _call(self, endpoint: str, build: Callable[[float], httpx.Request]) -> httpx.Response:
        """Send the request `build(deadline)` makes, retrying per `RetryPolicy`."""
        policy = RetryPolicy(self._settings)
        return await policy.run(lambda: self._attempt(endpoint, build(policy.deadline)))

    async def _attempt(self, endpoint: str, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self._http.send(request, auth=self._auth)
        except httpx.RequestError as error:
            metrics.trace_requests.labels(endpoint=endpoint, status="error").inc()
            log.warning(
                "trace.request_failed",
                endpoint=endpoint,
                error=type(error).__name__,
                duration_ms=_ms_since(started),
            )
            raise UnavailableError(f"{endpoint}: {type(error).__name__}", endpoint=endpoint) from error
        status = response.status_code
        metrics.trace_requests.labels(endpoint=endpoint, status=str(status)).inc()
        level = log.debug if status < 400 else log.warning
        level("trace.request", endpoint=endpoint, status=status, duration_ms=_ms_since(started))
        raise_for_status(endpoint, response, self._profile.rate_limit_reset_unit, now=time.time())
        return response

    def _lead_page(self, number: int, body: Any) -> LeadPage:
        profile = self._profile
        envelope = body if isinstance(body, dict) else {}
        items = envelope.get(profile.leads_items_key)
        paging = envelope.get(profile.leads_pagination_key)
        has_next = paging.get(profile.leads_has_next_key) if isinstance(paging, dict) else None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise UnexpectedResponseError(
                f"crm_leads: page {number} has no list of objects under {profile.leads_items_key!r}",
                endpoint="crm_leads",
                status=200,
            )
        if not isinstance(has_next, bool):
            raise UnexpectedResponseError(
                f"crm_leads: page {number} lacks boolean "
                f"{profile.leads_pagination_key}.{profile.leads_has_next_key}",
                endpoint="crm_leads",
                status=200,
            )
        return LeadPage(number=number, items=items, has_next=has_next and bool(items))


def _http_client(
    settings: TraceSettings, profile: TraceProfile, transport: httpx.AsyncBaseTransport | None
) -> httpx.AsyncClient:
    """The process's one pooled client; `transport` replaces the network in unit tests."""
    api: httpx.AsyncBaseTransport
    login: httpx.AsyncBaseTransport
    if transport is not None:
        api = login = transport
    else:
        proxy = settings.proxy
        log.info("trace.client_ready", api_url=str(settings.api_url), proxy=describe(proxy))
        api = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=settings.max_connections), proxy=proxy
        )
        # one login a day needs no keep-alive, and a fresh connection is never a stale one
        login = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=0), proxy=proxy
        )
    limiter = RateLimiter(settings.crm_rate_limit, settings.crm_rate_window, name="crm_leads")
    return httpx.AsyncClient(
        base_url=str(settings.api_url),
        transport=TraceTransport(api, login, limiter, profile.rate_limit_reset_unit),
        timeout=httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.write_timeout,
            pool=settings.pool_timeout,
        ),
    )


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("lead filters need timezone-aware datetimes")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
