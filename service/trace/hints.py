"""How long TRACE asks us to wait, read from its response headers.

`Retry-After` is standard (seconds or an HTTP date). `X-RateLimit-Remaining` and
`X-RateLimit-Reset` are documented names whose reset unit is not (U), so the unit comes
from the profile. Unparseable values count as "no hint": a wrong guess would either
hammer TRACE or stall the bridge.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import httpx

from service.trace.profile import ResetUnit

RETRY_AFTER = "Retry-After"
REMAINING = "X-RateLimit-Remaining"
RESET = "X-RateLimit-Reset"
EPOCH_THRESHOLD = 1e9  # `auto`: anything larger is an absolute epoch time, not a duration


def retry_after(value: str, *, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` value (delta-seconds or HTTP date), at wall time `now`."""
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(moment.timestamp() - now, 0.0)


def rate_limit_reset(value: str, unit: ResetUnit, *, now: float) -> float | None:
    """Seconds until the rate window resets, from `X-RateLimit-Reset` in `unit`."""
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if unit is ResetUnit.AUTO:
        unit = ResetUnit.EPOCH_SECONDS if number > EPOCH_THRESHOLD else ResetUnit.SECONDS_REMAINING
    if unit is ResetUnit.EPOCH_SECONDS:
        number -= now
    return max(number, 0.0)


def exhausted_for(headers: httpx.Headers, unit: ResetUnit, *, now: float) -> float | None:
    """Seconds until more calls are allowed when TRACE reports `Remaining: 0`, else None."""
    if headers.get(REMAINING, "").strip() != "0" or RESET not in headers:
        return None
    return rate_limit_reset(headers[RESET], unit, now=now)


def server_wait(headers: httpx.Headers, unit: ResetUnit, *, now: float) -> float | None:
    """The longest wait any of TRACE's headers asks for, or None if none does."""
    waits = [exhausted_for(headers, unit, now=now)]
    if RETRY_AFTER in headers:
        waits.append(retry_after(headers[RETRY_AFTER], now=now))
    known = [wait for wait in waits if wait is not None]
    return max(known) if known else None
