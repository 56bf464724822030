"""Classification of TRACE responses, result mapping rules, and secrets kept out of errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from service.logs import MASK, secrets
from service.trace.errors import (
    AuthError,
    ForbiddenError,
    RateLimitedError,
    RejectedError,
    TraceError,
    UnavailableError,
    UnexpectedResponseError,
)
from service.trace.profile import ResetUnit
from service.trace.responses import raise_for_status
from service.trace.results import map_results, tier_count


def classify(status: int, body: Any = None, headers: dict[str, str] | None = None) -> TraceError | None:
    response = httpx.Response(status, json=body if body is not None else {}, headers=headers)
    try:
        raise_for_status("route", response, ResetUnit.AUTO, now=0.0)
    except TraceError as error:
        return error
    return None


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (400, RejectedError, False),
        (401, AuthError, False),
        (403, ForbiddenError, False),
        (404, RejectedError, False),
        (409, RejectedError, False),
        (422, RejectedError, False),
        (429, RateLimitedError, True),
        (500, UnavailableError, True),
        (502, UnavailableError, True),
        (503, UnavailableError, True),
        (504, UnavailableError, True),
        (501, UnexpectedResponseError, False),
        (302, UnexpectedResponseError, False),
    ],
)
def test_statuses_map_to_one_error_type_each(status: int, kind: type[TraceError], retryable: bool) -> None:
    error = classify(status)
    assert type(error) is kind
    assert error.retryable is retryable
    assert (error.status, error.endpoint) == (status, "route")


def test_success_is_not_an_error() -> None:
    assert classify(200) is None
    assert classify(204) is None


def test_server_wait_hint_travels_with_the_error() -> None:
    error = classify(503, headers={"Retry-After": "4"})
    assert isinstance(error, UnavailableError)
    assert error.retry_after == 4


def test_error_text_never_carries_registered_secrets() -> None:
    leaked = "tok-leaked-in-an-error-body-123"
    secrets.add(leaked)
    error = classify(400, {"message": f"token {leaked} is odd", "errors": [{"path": leaked}]})
    assert isinstance(error, RejectedError)
    assert leaked not in str(error)
    assert leaked not in error.body
    assert all(leaked not in message for message in error.messages)
    assert MASK in str(error)


def test_tier_count_is_one_without_tiers() -> None:
    assert tier_count({"configuration": {"capacityTiers": [{}, {}, {}]}}) == 3
    assert tier_count({"configuration": {"capacityTiers": []}}) == 1
    assert tier_count({"configuration": {}}) == 1
    assert tier_count({}) == 1


def test_one_result_per_offer_when_the_profile_says_so() -> None:
    body = {
        "success": True,
        "results": [{"offerId": "a", "success": True}, {"offerId": "b", "success": True}],
    }
    offers: list[dict[str, Any]] = [{"configuration": {"capacityTiers": [{}, {}]}}, {}]
    result = map_results("upload_dm", offers, body, per_tier=False)
    assert [o.offer_ids for o in result.offers] == [("a",), ("b",)]
    with pytest.raises(UnexpectedResponseError):
        map_results("upload_dm", offers, body, per_tier=True)


@pytest.mark.parametrize("body", [{"results": []}, {"success": True, "results": [{"offerId": "a"}]}, []])
def test_envelopes_off_the_documented_shape_are_unexpected(body: Any) -> None:
    with pytest.raises(UnexpectedResponseError):
        map_results("upload_dm", [{}], body, per_tier=True)
