"""Wait hints from TRACE's headers: Retry-After in both forms, reset units."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from service.trace.hints import exhausted_for, rate_limit_reset, retry_after, server_wait
from service.trace.profile import ResetUnit

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z, wall clock


def http_date(epoch: float) -> str:
    return format_datetime(datetime.fromtimestamp(epoch, UTC), usegmt=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (" 2 ", 2.0),
        ("0", 0.0),
        ("-3", 0.0),
        (http_date(NOW + 30), 30.0),
        (http_date(NOW - 30), 0.0),  # a date in the past means "now"
        ("soon", None),
        ("Wed, 99 Foo 2026", None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(value: str, expected: float | None) -> None:
    assert retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (str(int(NOW + 42)), ResetUnit.EPOCH_SECONDS, 42.0),
        ("42", ResetUnit.SECONDS_REMAINING, 42.0),
        (str(int(NOW + 42)), ResetUnit.AUTO, 42.0),  # large: an epoch time
        ("42", ResetUnit.AUTO, 42.0),  # small: seconds remaining
        (str(int(NOW - 5)), ResetUnit.AUTO, 0.0),
        ("later", ResetUnit.AUTO, None),
    ],
)
def test_rate_limit_reset_follows_the_profile_unit(
    value: str, unit: ResetUnit, expected: float | None
) -> None:
    assert rate_limit_reset(value, unit, now=NOW) == expected


def test_reset_only_counts_when_the_budget_is_spent() -> None:
    spent = httpx.Headers({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "12"})
    left = httpx.Headers({"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "12"})
    assert exhausted_for(spent, ResetUnit.AUTO, now=NOW) == 12.0
    assert exhausted_for(left, ResetUnit.AUTO, now=NOW) is None


def test_server_wait_takes_the_longest_hint() -> None:
    both = httpx.Headers(
        {"Retry-After": "3", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW + 9))}
    )
    assert server_wait(both, ResetUnit.AUTO, now=NOW) == 9.0
    assert server_wait(httpx.Headers({"Retry-After": "3"}), ResetUnit.AUTO, now=NOW) == 3.0
    assert server_wait(httpx.Headers(), ResetUnit.AUTO, now=NOW) is None
