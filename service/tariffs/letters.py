"""Retry and dead-letter copies of a delivery, with headers an operator can read.

The retry count travels in our own headers (`x-death` belongs to the broker and its
semantics changed between RabbitMQ versions). Every copy keeps the original body and
properties, so a replayed message is the message the publisher sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from service import __version__
from service.logs import secrets
from service.tariffs.failures import ErrorKind

PREFIX = "trace-bridge-"
ATTEMPTS = f"{PREFIX}attempts"
FIRST_FAILURE = f"{PREFIX}first-failure"
LAST_FAILURE = f"{PREFIX}last-failure"
ERROR_KIND = f"{PREFIX}error-kind"
REASON = f"{PREFIX}reason"
DETAIL = f"{PREFIX}detail"
VERSION = f"{PREFIX}version"
ORIGINAL_EXCHANGE = f"{PREFIX}original-exchange"
ORIGINAL_ROUTING_KEY = f"{PREFIX}original-routing-key"
REPLAYED = f"{PREFIX}replayed"
MAX_DETAIL = 4096
MAX_REASON = 300


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return None if value is None else str(value)


def _time(value: object) -> datetime | None:
    text = _text(value)
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class History:
    """What our headers say about earlier attempts of this message."""

    attempts: int
    first_failure: datetime | None
    original_exchange: str
    original_routing_key: str

    @classmethod
    def of(cls, message: AbstractIncomingMessage) -> History:
        headers = message.headers or {}
        attempts = headers.get(ATTEMPTS, 0)
        return cls(
            attempts=attempts if isinstance(attempts, int) and attempts >= 0 else 0,
            first_failure=_time(headers.get(FIRST_FAILURE)),
            original_exchange=_text(headers.get(ORIGINAL_EXCHANGE)) or message.exchange or "",
            original_routing_key=_text(headers.get(ORIGINAL_ROUTING_KEY)) or message.routing_key or "",
        )

    def age(self, now: datetime) -> float:
        """Seconds since the first failure (0 before any failure)."""
        return (now - self.first_failure).total_seconds() if self.first_failure else 0.0


def one_line(text: str, limit: int = MAX_REASON) -> str:
    flat = " ".join(secrets.scrub(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def copy(
    message: AbstractIncomingMessage, headers: dict[str, Any], *, drop: frozenset[str] = frozenset()
) -> aio_pika.Message:
    """The message as its publisher sent it (body and properties), persistent, with `headers`
    added and the headers named in `drop` removed. `user_id` and `expiration` are not copied:
    RabbitMQ refuses a foreign user id, and a copy must not expire on its way."""
    kept = {key: value for key, value in (message.headers or {}).items() if key not in drop}
    return aio_pika.Message(
        body=message.body,
        headers={**kept, **headers},
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        priority=message.priority,
        correlation_id=message.correlation_id,
        reply_to=message.reply_to,
        message_id=message.message_id,
        timestamp=message.timestamp,
        type=message.type,
        app_id=message.app_id,
    )


def _failure_headers(history: History, now: datetime, reason: str) -> dict[str, Any]:
    return {
        ATTEMPTS: history.attempts + 1,
        FIRST_FAILURE: (history.first_failure or now).isoformat(),
        LAST_FAILURE: now.isoformat(),
        REASON: one_line(reason),
        VERSION: __version__,
        ORIGINAL_EXCHANGE: history.original_exchange,
        ORIGINAL_ROUTING_KEY: history.original_routing_key,
    }


def retry_letter(message: AbstractIncomingMessage, history: History, reason: str) -> aio_pika.Message:
    """The copy that waits in a retry tier and then returns to the work queue."""
    return copy(message, _failure_headers(history, datetime.now(UTC), reason))


def dead_letter(
    message: AbstractIncomingMessage, history: History, kind: ErrorKind, reason: str, detail: str = ""
) -> aio_pika.Message:
    """The copy that ends in the DLQ, understandable without logs."""
    headers = _failure_headers(history, datetime.now(UTC), reason)
    headers[ERROR_KIND] = kind.value
    headers[DETAIL] = secrets.scrub(detail)[:MAX_DETAIL]
    return copy(message, headers)
