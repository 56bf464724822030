"""The fixed-window arithmetic of the CRM rate limit, on a fake clock (no waiting)."""

from __future__ import annotations

from service.sandbox.ratelimit import FixedWindowLimiter


def test_fixed_window_arithmetic_with_a_fake_clock() -> None:
    now = [100.0]
    limiter = FixedWindowLimiter(limit=2, window=10.0, clock=lambda: now[0], wall=lambda: 1_000.25 + now[0])

    first, second, third = (limiter.hit("a") for _ in range(3))
    now[0] = 109.5
    late = limiter.hit("a")
    now[0] = 110.0
    fresh = limiter.hit("a")

    assert [d.allowed for d in (first, second, third, late, fresh)] == [True, True, False, False, True]
    assert [d.remaining for d in (first, second, third)] == [1, 0, 0]
    assert {d.reset_epoch for d in (first, second, third, late)} == {1111}  # ceil(1100.25 + 10)
    assert (third.retry_after, late.retry_after) == (10, 1)
    assert third.headers()["Retry-After"] == "10"
    assert "Retry-After" not in first.headers()
    assert (fresh.remaining, fresh.reset_epoch) == (1, 1121)
