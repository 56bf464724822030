"""Reading dead letters (ours and the broker's), selecting them, and the replayed copy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage

from service.ops.dead_letters import DeadLetter, Death, Selection, parse_duration, replay_copy
from service.ops.dlq_view import age_text, body_text, details
from service.tariffs import letters

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
BODY = b'{"id": "body-id", "type": "trace.tariff.changed.v1", "data": {"tariff_id": "t-1"}}'


def delivered(
    body: bytes = BODY, headers: dict[str, Any] | None = None, **properties: Any
) -> AbstractIncomingMessage:
    """An AMQP message as the DLQ tooling sees one (only the message properties matter)."""
    return cast(AbstractIncomingMessage, aio_pika.Message(body, headers=headers or {}, **properties))


def x_death(queue: str, reason: str, exchange: str, key: str, count: int = 1) -> dict[str, Any]:
    return {
        "queue": queue,
        "reason": reason,
        "exchange": exchange,
        "routing-keys": [key],
        "count": count,
        "time": NOW - timedelta(minutes=5),
    }


BROKER_HEADERS = {
    "x-death": [
        x_death("work", "delivery_limit", "", "work", 2),
        x_death("retry.1s", "expired", "", "retry.1s"),
        x_death("work", "rejected", "trace.tariffs", "tariff.changed.ppa_upstream"),
    ],
    "x-first-death-queue": "work",
    "x-first-death-reason": "rejected",
}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10m", 600), ("2h", 7200), ("1d", 86400), ("90s", 90), ("1h30m", 5400), ("1.5h", 5400)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "ten minutes", "5x", "m10"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_the_first_death_is_the_one_that_tells_the_origin() -> None:
    death = Death.of(BROKER_HEADERS)
    assert death is not None
    assert (death.exchange, death.routing_key, death.reason) == (
        "trace.tariffs",
        "tariff.changed.ppa_upstream",
        "rejected",
    )
    assert Death.of({"x-death": [x_death("q", "expired", "e", "k")]}) == Death(
        "expired", "q", "e", "k", 1, NOW - timedelta(minutes=5)
    )
    assert Death.of({}) is None


def test_a_broker_dead_letter_reads_as_delivery_limit_with_the_x_death_origin() -> None:
    letter = DeadLetter.read(delivered(headers=BROKER_HEADERS), position=1)
    assert letter.kind == "delivery_limit"
    assert (letter.original_exchange, letter.original_routing_key) == (
        "trace.tariffs",
        "tariff.changed.ppa_upstream",
    )
    assert "RabbitMQ (rejected)" in letter.reason
    assert letter.dead_lettered_at == NOW - timedelta(minutes=5)
    assert (letter.event_id, letter.event_type, letter.tariff_id) == (
        "body-id",
        "trace.tariff.changed.v1",
        "t-1",
    )


def test_our_headers_win_over_x_death() -> None:
    ours = {
        **BROKER_HEADERS,
        letters.ATTEMPTS: 3,
        letters.ORIGINAL_EXCHANGE: "trace.tariffs",
        letters.ORIGINAL_ROUTING_KEY: "tariff.changed.direct_marketing",
    }
    broker_after_retries = DeadLetter.read(delivered(headers=ours, message_id="m-1", type="t"), position=1)
    assert broker_after_retries.kind == "delivery_limit"
    assert broker_after_retries.attempts == 3
    assert broker_after_retries.original_routing_key == "tariff.changed.direct_marketing"
    failed = (NOW - timedelta(hours=1)).isoformat()
    ours = {**ours, letters.ERROR_KIND: "invalid_data", letters.REASON: "bad", letters.LAST_FAILURE: failed}
    letter = DeadLetter.read(delivered(headers=ours, message_id="m-1"), position=1)
    assert (letter.kind, letter.reason, letter.event_id) == ("invalid_data", "bad", "m-1")
    assert letter.age(NOW) == 3600


def test_selection_combines_every_filter() -> None:
    def letter(kind: str, age_hours: float | None, event_id: str = "e", event_type: str = "a") -> DeadLetter:
        headers: dict[str, Any] = {letters.ERROR_KIND: kind}
        if age_hours is not None:
            headers[letters.LAST_FAILURE] = (NOW - timedelta(hours=age_hours)).isoformat()
        return DeadLetter.read(delivered(b"", headers, message_id=event_id, type=event_type), position=1)

    assert Selection().matches(letter("x", None), NOW)
    assert Selection(kinds=frozenset({"x"})).matches(letter("x", 1), NOW)
    assert not Selection(kinds=frozenset({"y"})).matches(letter("x", 1), NOW)
    assert not Selection(types=frozenset({"b"})).matches(letter("x", 1), NOW)
    assert not Selection(ids=frozenset({"other"})).matches(letter("x", 1), NOW)
    window = Selection(older_than=3600, newer_than=3 * 3600)
    assert [window.matches(letter("x", hours), NOW) for hours in (0.5, 2, 4, None)] == [
        False,
        True,
        False,
        False,
    ]


def test_the_replayed_copy_starts_a_fresh_history() -> None:
    headers = {
        **BROKER_HEADERS,
        "x-delivery-count": 4,
        "custom": "kept",
        letters.ATTEMPTS: 5,
        letters.ERROR_KIND: "retries_exhausted",
        letters.REASON: "r",
        letters.DETAIL: "d",
        letters.FIRST_FAILURE: NOW.isoformat(),
        letters.LAST_FAILURE: NOW.isoformat(),
        letters.ORIGINAL_EXCHANGE: "x",
        letters.ORIGINAL_ROUTING_KEY: "k",
        letters.REPLAYED: "earlier",
    }
    message = delivered(
        headers=headers, message_id="m-1", type="t", expiration=60, user_id="someone", app_id="pricing"
    )
    copy = replay_copy(message, NOW)
    assert copy.headers == {"custom": "kept", letters.REPLAYED: NOW.isoformat()}
    assert (copy.body, copy.message_id, copy.type, copy.app_id) == (BODY, "m-1", "t", "pricing")
    assert copy.expiration is None
    assert copy.user_id is None
    assert copy.delivery_mode == aio_pika.DeliveryMode.PERSISTENT


def test_terminal_views() -> None:
    assert [age_text(s) for s in (None, 5, 61, 7200, 90000)] == ["?", "5s", "1m", "2h", "1d"]
    assert '"tariff_id": "t-1"' in body_text(BODY)
    assert body_text(b"plain words") == "plain words"
    assert body_text(b"\xff\x00").startswith("(binary, hex)\n00000000  ff 00")
    assert body_text(b"") == "(empty)"
    shown = "\n".join(details(DeadLetter.read(delivered(headers=BROKER_HEADERS), 1), NOW))
    assert "error_kind: delivery_limit" in shown
    assert '"routing-keys":["tariff.changed.ppa_upstream"]' in shown
