"""What a dead letter says: our `trace-bridge-*` headers, or RabbitMQ's `x-death` entries.

The pipeline writes its headers on every message it dead-letters. A message that the
broker dead-letters itself (the `x-delivery-limit` crash-loop backstop) carries only
`x-death`, so it is shown as `delivery_limit`, with the exchange and routing key the
broker recorded when the message first died.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aio_pika
import orjson
from aio_pika.abc import AbstractIncomingMessage

from service.tariffs import letters
from service.tariffs.failures import ErrorKind

BROKER_HEADERS = frozenset(
    {
        "x-death",
        "x-delivery-count",
        "x-first-death-exchange",
        "x-first-death-queue",
        "x-first-death-reason",
        "x-last-death-exchange",
        "x-last-death-queue",
        "x-last-death-reason",
    }
)
FAILURE_HEADERS = frozenset(
    {
        letters.ATTEMPTS,
        letters.FIRST_FAILURE,
        letters.LAST_FAILURE,
        letters.ERROR_KIND,
        letters.REASON,
        letters.DETAIL,
        letters.VERSION,
        letters.ORIGINAL_EXCHANGE,
        letters.ORIGINAL_ROUTING_KEY,
        letters.REPLAYED,
    }
)
"""Removed on replay: the replayed copy starts a fresh retry history."""
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def plain(value: Any) -> Any:
    """A header value as JSON-friendly Python: text for bytes, ISO strings for times."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def _text(value: Any) -> str:
    shown = plain(value)
    return "" if shown is None else str(shown)


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(_text(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_duration(text: str) -> float:
    """Seconds in `10m`, `2h`, `1d`, `90s` or combinations such as `1h30m`."""
    compact = text.strip().lower().replace(" ", "")
    if not compact or _DURATION.sub("", compact):
        raise ValueError(f"{text!r} is not a duration like 10m, 2h or 1d")
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION.findall(compact))


@dataclass(frozen=True)
class Death:
    """The `x-death` entry of the broker's first dead-lettering of a message."""

    reason: str
    queue: str
    exchange: str
    routing_key: str
    count: int
    time: datetime | None

    @classmethod
    def of(cls, headers: Mapping[str, Any]) -> Death | None:
        entries = [entry for entry in headers.get("x-death") or [] if isinstance(entry, Mapping)]
        if not entries:
            return None
        first = (_text(headers.get("x-first-death-queue")), _text(headers.get("x-first-death-reason")))
        entry = next(
            (e for e in entries if (_text(e.get("queue")), _text(e.get("reason"))) == first), entries[0]
        )
        keys = entry.get("routing-keys") or [""]
        count = entry.get("count", 1)
        return cls(
            reason=_text(entry.get("reason")),
            queue=_text(entry.get("queue")),
            exchange=_text(entry.get("exchange")),
            routing_key=_text(keys[0]),
            count=count if isinstance(count, int) else 1,
            time=_time(entry.get("time")),
        )


def _document(body: bytes) -> dict[str, Any]:
    """The body as a JSON object if it is one; dead letters may be anything."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    return document if isinstance(document, dict) else {}


def _tariff_id(document: Mapping[str, Any]) -> str:
    data = document.get("data")
    if isinstance(data, Mapping) and data.get("tariff_id"):
        return _text(data["tariff_id"])
    return _text(document.get("subject"))


@dataclass(frozen=True)
class DeadLetter:
    """One DLQ message as an operator needs it: what it is, why it died, where it came from."""

    position: int
    event_id: str
    event_type: str
    tariff_id: str
    kind: str
    reason: str
    detail: str
    attempts: int
    dead_lettered_at: datetime | None
    original_exchange: str
    original_routing_key: str
    headers: Mapping[str, Any]
    body: bytes
    content_type: str

    @classmethod
    def read(cls, message: AbstractIncomingMessage, position: int) -> DeadLetter:
        headers = dict(message.headers or {})
        document = _document(message.body)
        death = Death.of(headers)
        ours = letters.ERROR_KIND in headers
        attempts = headers.get(letters.ATTEMPTS)
        if not isinstance(attempts, int):
            attempts = death.count if death else 0
        return cls(
            position=position,
            event_id=message.message_id or _text(document.get("id")),
            event_type=message.type or _text(document.get("type")),
            tariff_id=_tariff_id(document),
            kind=_text(headers[letters.ERROR_KIND]) if ours else ErrorKind.DELIVERY_LIMIT.value,
            reason=_text(headers.get(letters.REASON)) if ours else _broker_reason(death),
            detail=_text(headers.get(letters.DETAIL)),
            attempts=attempts,
            dead_lettered_at=_dead_lettered_at(headers, death, message),
            original_exchange=_original(headers, letters.ORIGINAL_EXCHANGE, death.exchange if death else ""),
            original_routing_key=_original(
                headers, letters.ORIGINAL_ROUTING_KEY, death.routing_key if death else ""
            ),
            headers=headers,
            body=message.body,
            content_type=message.content_type or "",
        )

    def age(self, now: datetime) -> float | None:
        """Seconds since the message was dead-lettered, if anything recorded when."""
        return (now - self.dead_lettered_at).total_seconds() if self.dead_lettered_at else None

    def summary(self, now: datetime) -> dict[str, Any]:
        """The fields of `dlq list --json`."""
        age = self.age(now)
        return {
            "position": self.position,
            "event_id": self.event_id,
            "type": self.event_type,
            "tariff_id": self.tariff_id,
            "error_kind": self.kind,
            "reason": self.reason,
            "attempts": self.attempts,
            "age_seconds": None if age is None else round(age, 3),
            "dead_lettered_at": self.dead_lettered_at.isoformat() if self.dead_lettered_at else None,
            "original_exchange": self.original_exchange,
            "original_routing_key": self.original_routing_key,
        }


def _broker_reason(death: Death | None) -> str:
    if death is None:
        return "no trace-bridge or x-death headers"
    return f"dead-lettered by RabbitMQ ({death.reason}) from queue {death.queue!r}"


def _dead_lettered_at(
    headers: Mapping[str, Any], death: Death | None, message: AbstractIncomingMessage
) -> datetime | None:
    recorded = _time(headers.get(letters.LAST_FAILURE)) if letters.ERROR_KIND in headers else None
    if recorded is None and death is not None:
        recorded = death.time
    return recorded or (_time(message.timestamp) if message.timestamp else None)


def _original(headers: Mapping[str, Any], name: str, fallback: str) -> str:
    return _text(headers[name]) if name in headers else fallback


@dataclass(frozen=True)
class Selection:
    """Which dead letters a command acts on; empty fields select everything."""

    ids: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    older_than: float | None = None
    newer_than: float | None = None

    def matches(self, letter: DeadLetter, now: datetime) -> bool:
        if self.ids and letter.event_id not in self.ids:
            return False
        if self.kinds and letter.kind not in self.kinds:
            return False
        if self.types and letter.event_type not in self.types:
            return False
        if self.older_than is None and self.newer_than is None:
            return True
        age = letter.age(now)
        if age is None:
            return False
        return (self.older_than is None or age > self.older_than) and (
            self.newer_than is None or age < self.newer_than
        )


EVERYTHING = Selection()


def replay_copy(message: AbstractIncomingMessage, now: datetime) -> aio_pika.Message:
    """The message as its publisher sent it, marked replayed, with a fresh retry history."""
    return letters.copy(message, {letters.REPLAYED: now.isoformat()}, drop=FAILURE_HEADERS | BROKER_HEADERS)
