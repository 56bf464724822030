"""How events become AMQP messages: structured CloudEvents plus the promised properties."""

from __future__ import annotations

from typing import Any

import aio_pika

from contracts import CONTENT_TYPE, CloudEvent
from contracts.routing import APP_ID
from service import __version__

VERSION_HEADER = "trace-bridge-version"


def event_message(event: CloudEvent[Any], *, headers: dict[str, Any] | None = None) -> aio_pika.Message:
    """A CloudEvent in structured JSON mode with `message_id`, `type`, `timestamp`, `app_id`."""
    return aio_pika.Message(
        body=event.to_json(),
        content_type=CONTENT_TYPE,
        content_encoding="utf-8",
        message_id=event.id,
        type=event.type,
        timestamp=event.time,
        app_id=APP_ID,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        headers={VERSION_HEADER: __version__, **(headers or {})},
    )
