"""TraceClient over a scripted TRACE: upload format, result mapping, leads paging, retries."""

from __future__ import annotations

import email
import time
from collections import deque
from datetime import UTC, datetime, timedelta, timezone
from email.message import Message
from typing import Any

import httpx
import orjson
import pytest

from service.trace.client import TraceClient
from service.trace.errors import (
    RateLimitedError,
    RejectedError,
    UnavailableError,
    UnexpectedResponseError,
)
from service.trace.profile import TraceProfile
from tests.trace.fakes import FakeTrace, json_response, settings


def offer(name: str, tiers: int = 0) -> dict[str, Any]:
    configuration: dict[str, Any] = {"directMarketingType": "EEG"}
    if tiers:
        configuration["capacityTiers"] = [{"min": 100 * n, "max": 100 * (n + 1)} for n in range(tiers)]
    return {"name": name, "tariffType": 3, "configuration": configuration}


def file_part(request: httpx.Request) -> Message:
    """The single file part of a multipart upload, parsed like a server would."""
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    parts = email.message_from_bytes(head + request.content).get_payload()
    assert isinstance(parts, list)
    [part] = parts
    assert isinstance(part, Message)
    return part


def uploaded(part: Message) -> Any:
    content = part.get_payload(decode=True)
    assert isinstance(content, bytes)
    return orjson.loads(content)


def results(*flags: bool) -> dict[str, Any]:
    entries = [
        {"offerId": f"id-{n}", "success": ok, "message": "Imported successfully" if ok else f"bad {n}"}
        for n, ok in enumerate(flags)
    ]
    return {"success": all(flags), "results": entries}


def scripted(*responses: httpx.Response) -> Any:
    queue = deque(responses)

    async def api(request: httpx.Request) -> httpx.Response:
        return queue.popleft()

    return api


async def test_single_offer_upload_is_one_json_file_under_offer(client: TraceClient, fake: FakeTrace) -> None:
    fake.api = scripted(json_response(200, results(True)))
    result = await client.upload_direct_marketing([offer("one")])
    [(_, request)] = fake.requests
    assert request.url.path == "/tariff-management/direct-marketing/upload"
    part = file_part(request)
    assert part.get_param("name", header="content-disposition") == "file"
    assert part.get_filename() == "offers.json"
    assert part.get_content_type() == "application/json"
    assert uploaded(part) == {"offer": offer("one")}
    assert result.success
    assert [(o.index, o.offer_ids, o.success) for o in result.offers] == [(0, ("id-0",), True)]


async def test_batch_maps_results_back_per_offer_by_tier_count(fake: FakeTrace) -> None:
    profile = TraceProfile(_env_file=None, upload_path_prefix="/api", upload_file_field="upload")
    fake.api = scripted(json_response(200, results(True, True, True, False, False, True)))
    async with TraceClient(settings(), profile, fake.transport()) as client:
        result = await client.upload_ppa([offer("a", tiers=2), offer("b"), offer("c", tiers=3)])
    [(_, request)] = fake.requests
    assert request.url.path == "/api/tariff-management/ppa/upload"
    part = file_part(request)
    assert part.get_param("name", header="content-disposition") == "upload"
    assert [o["name"] for o in uploaded(part)["offers"]] == ["a", "b", "c"]
    assert not result.success
    assert [(o.offer_ids, o.success, o.messages) for o in result.offers] == [
        (("id-0", "id-1"), True, ("Imported successfully",) * 2),
        (("id-2",), True, ("Imported successfully",)),
        (("id-3", "id-4", "id-5"), False, ("bad 3", "bad 4", "Imported successfully")),
    ]


async def test_result_counts_that_do_not_add_up_are_not_guessed(client: TraceClient, fake: FakeTrace) -> None:
    fake.api = scripted(json_response(200, results(True, True)))
    with pytest.raises(UnexpectedResponseError) as caught:
        await client.upload_direct_marketing([offer("a", tiers=2), offer("b")])
    assert "2 results for 2 offers" in str(caught.value)


@pytest.mark.parametrize("count", [0, 51])
async def test_batch_size_is_enforced(client: TraceClient, fake: FakeTrace, count: int) -> None:
    with pytest.raises(ValueError, match="1 to 50 offers"):
        await client.upload_direct_marketing([offer(str(n)) for n in range(count)])
    assert fake.requests == []


async def test_400_is_rejected_with_tracess_messages_and_not_retried(
    client: TraceClient, fake: FakeTrace
) -> None:
    body = {"success": False, "results": [], "errors": ["offer.name: required", "x" * 5000]}
    fake.api = scripted(json_response(400, body))
    with pytest.raises(RejectedError) as caught:
        await client.upload_direct_marketing([offer("a")])
    error = caught.value
    assert (error.status, error.endpoint, error.retryable) == (400, "upload_dm", False)
    assert error.messages[0] == "offer.name: required"
    assert len(error.body) == 2048
    assert "offer.name: required" in str(error)
    assert len(fake.requests) == 1


@pytest.mark.parametrize("status", [404, 422])
async def test_other_client_errors_are_not_retried(client: TraceClient, fake: FakeTrace, status: int) -> None:
    fake.api = scripted(json_response(status, {"message": "nope"}))
    with pytest.raises(RejectedError):
        await client.upload_ppa([offer("a")])
    assert len(fake.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_retried_until_success(
    client: TraceClient, fake: FakeTrace, status: int
) -> None:
    fake.api = scripted(
        json_response(status, {}), json_response(status, {}), json_response(200, results(True))
    )
    result = await client.upload_direct_marketing([offer("a")])
    assert result.success
    assert len(fake.requests) == 3


async def test_network_errors_become_unavailable_after_the_attempts(
    fake: FakeTrace, profile: TraceProfile
) -> None:
    async def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out")

    fake.api = refuse
    async with TraceClient(settings(retry_attempts=3), profile, fake.transport()) as client:
        with pytest.raises(UnavailableError) as caught:
            await client.upload_direct_marketing([offer("a")])
    assert caught.value.retryable
    assert "ConnectTimeout" in str(caught.value)
    assert len(fake.requests) == 3


async def test_retry_after_is_honoured(client: TraceClient, fake: FakeTrace) -> None:
    fake.api = scripted(json_response(429, {}, {"Retry-After": "0.3"}), json_response(200, results(True)))
    await client.upload_direct_marketing([offer("a")])
    (first, _), (second, _) = fake.requests
    assert second - first >= 0.3


async def test_a_hint_beyond_the_deadline_fails_instead_of_waiting(
    fake: FakeTrace, profile: TraceProfile
) -> None:
    fake.api = scripted(json_response(503, {}, {"Retry-After": "30"}))
    async with TraceClient(settings(retry_deadline=5), profile, fake.transport()) as client:
        started = time.monotonic()
        with pytest.raises(UnavailableError) as caught:
            await client.upload_direct_marketing([offer("a")])
    assert time.monotonic() - started < 1
    assert caught.value.retry_after == 30
    assert len(fake.requests) == 1


async def test_a_backoff_beyond_the_deadline_is_not_slept(fake: FakeTrace, profile: TraceProfile) -> None:
    fake.api = scripted(json_response(502, {}))
    slow = settings(retry_deadline=0.5, retry_wait_initial=2, retry_wait_max=5)
    async with TraceClient(slow, profile, fake.transport()) as client:
        started = time.monotonic()
        with pytest.raises(UnavailableError):
            await client.upload_ppa([offer("a")])
    assert time.monotonic() - started < 0.5
    assert len(fake.requests) == 1


async def test_429_on_the_crm_pauses_and_surfaces_as_rate_limited(
    fake: FakeTrace, profile: TraceProfile
) -> None:
    headers = {"Retry-After": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "60"}
    fake.api = scripted(json_response(429, {"error": "rate_limited"}, headers))
    async with TraceClient(settings(retry_deadline=5), profile, fake.transport()) as client:
        with pytest.raises(RateLimitedError):
            await anext(client.iter_leads())
        with pytest.raises(RateLimitedError):  # paused: fails fast without calling TRACE
            await anext(client.iter_leads())
    assert len(fake.requests) == 1


async def test_iter_leads_follows_pages_with_profile_parameter_names(fake: FakeTrace) -> None:
    profile = TraceProfile(
        _env_file=None,
        leads_page_param="p",
        leads_page_size_param="n",
        leads_first_page=0,
        leads_updated_from_param="since",
        leads_items_key="items",
        leads_has_next_key="more",
    )
    pages = [([{"id": "1"}, {"id": "2"}], True), ([{"id": "3"}], True), ([], True)]
    fake.api = scripted(
        *(json_response(200, {"items": items, "pagination": {"more": more}}) for items, more in pages)
    )
    since = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=1)))
    async with TraceClient(settings(crm_page_size=2), profile, fake.transport()) as client:
        got = [page async for page in client.iter_leads(updated_from=since)]
    assert [(page.number, page.items, page.has_next) for page in got] == [
        (0, [{"id": "1"}, {"id": "2"}], True),
        (1, [{"id": "3"}], True),
        (2, [], False),  # an empty page ends the walk even if TRACE says there is more
    ]
    params = [dict(request.url.params) for _, request in fake.requests]
    assert params[0] == {"p": "0", "n": "2", "since": "2026-01-02T02:04:05Z"}
    assert [p["p"] for p in params] == ["0", "1", "2"]


async def test_iter_leads_stops_when_trace_says_last_page(client: TraceClient, fake: FakeTrace) -> None:
    fake.api = scripted(json_response(200, {"data": [{"id": "1"}], "pagination": {"hasNextPage": False}}))
    pages = [page async for page in client.iter_leads(created_from=datetime(2026, 1, 1, tzinfo=UTC))]
    assert len(pages) == 1
    assert dict(fake.requests[0][1].url.params)["createdFrom"] == "2026-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "body", [{"data": {}, "pagination": {"hasNextPage": False}}, {"data": []}, ["not", "an", "envelope"]]
)
async def test_unknown_lead_envelopes_are_unexpected(client: TraceClient, fake: FakeTrace, body: Any) -> None:
    fake.api = scripted(json_response(200, body))
    with pytest.raises(UnexpectedResponseError):
        await anext(client.iter_leads())


async def test_naive_lead_filters_are_refused(client: TraceClient) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await anext(client.iter_leads(updated_from=datetime(2026, 1, 1)))
