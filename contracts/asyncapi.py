"""The AsyncAPI 3.0 description of trace-bridge, built from the contract's own constants.

Generated rather than hand-written so the document cannot drift from the models, routing
keys and queue names the service really uses.
"""

from __future__ import annotations

import re
from typing import Any, Final, get_args

import yaml

from contracts.cloudevents import CONTENT_TYPE, CloudEvent
from contracts.events import TariffChanged, TariffRejected, TariffUploaded
from contracts.offers import Product
from contracts.routing import (
    APP_ID,
    CONSUMED_EVENTS,
    DEAD_LETTER_QUEUE,
    PUBLISHED_EVENTS,
    ROUTES,
    TARIFF_QUEUE,
    TARIFF_QUEUE_BINDING,
)
from contracts.schema import SCHEMA_FORMAT, schema_file
from service import __version__

ASYNCAPI_VERSION: Final = "3.0.0"
AMQP_BINDING: Final = "0.3.0"
CONTENT_ENCODING: Final = "utf-8"
PERSISTENT: Final = 2

Event = type[CloudEvent[Any]]

_PUBLISHED_PROPERTIES = (
    f"Published with AMQP properties `message_id` = `id`, `type` = `type`, `timestamp` = "
    f"`time`, `content_type` = `{CONTENT_TYPE}`, `content_encoding` = `{CONTENT_ENCODING}`, "
    f"`app_id` = `{APP_ID}`, `delivery_mode` = {PERSISTENT} (persistent)."
)
_CONSUMED_PROPERTIES = (
    "The bridge reads the whole event from the body. Publishers should still set "
    f"`message_id` = `id`, `type` = `type`, `content_type` = `{CONTENT_TYPE}` and "
    f"`delivery_mode` = {PERSISTENT} (persistent)."
)


def _key(event: Event) -> str:
    name = event.__name__
    return name[0].lower() + name[1:]


def _title(event: Event) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", event.__name__).capitalize()


def _queue_binding(name: str) -> dict[str, Any]:
    queue = {"name": name, "durable": True, "exclusive": False, "autoDelete": False, "vhost": "/"}
    return {"is": "queue", "queue": {**queue, "x-queue-type": "quorum"}, "bindingVersion": AMQP_BINDING}


def _message_ref(event: Event) -> dict[str, str]:
    return {"$ref": f"#/components/messages/{_key(event)}"}


def _event_channel(event: Event) -> dict[str, Any]:
    route = ROUTES[event.event_type]
    exchange = {"name": route.exchange, "type": "topic", "durable": True, "autoDelete": False}
    channel: dict[str, Any] = {
        "address": route.key,
        "title": _title(event),
        "description": f"Topic exchange `{route.exchange}`, routing key `{route.key}`.",
        "messages": {_key(event): _message_ref(event)},
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {**exchange, "vhost": "/"},
                "bindingVersion": AMQP_BINDING,
            }
        },
    }
    if "{product}" in route.key:
        channel["parameters"] = {
            "product": {"enum": list(get_args(Product)), "description": "The offer's product."}
        }
    return channel


def _queue_channels() -> dict[str, Any]:
    changed = _key(TariffChanged)
    return {
        "tariffQueue": {
            "address": TARIFF_QUEUE,
            "title": "Tariff work queue",
            "description": (
                f"Quorum queue the bridge consumes, bound to `{ROUTES[TariffChanged.event_type].exchange}`"
                f" with `{TARIFF_QUEUE_BINDING}`."
            ),
            "messages": {changed: _message_ref(TariffChanged)},
            "bindings": {"amqp": _queue_binding(TARIFF_QUEUE)},
        },
        "deadLetters": {
            "address": DEAD_LETTER_QUEUE,
            "title": "Tariff dead letters",
            "description": (
                "Quorum queue of tariff-changed messages the bridge gave up on (invalid, or "
                "failing past every retry). Each keeps its original body and properties, with "
                "headers saying why, so it can be inspected and replayed."
            ),
            "messages": {changed: _message_ref(TariffChanged)},
            "bindings": {"amqp": _queue_binding(DEAD_LETTER_QUEUE)},
        },
    }


def _summary(event: Event) -> str:
    return (event.__doc__ or "").strip().splitlines()[0]


def _operation(action: str, channel: str, event: Event, summary: str, amqp: dict[str, Any]) -> dict[str, Any]:
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "summary": summary,
        "messages": [{"$ref": f"#/channels/{channel}/messages/{_key(event)}"}],
        "bindings": {"amqp": {**amqp, "bindingVersion": AMQP_BINDING}},
    }


def _operations() -> dict[str, Any]:
    published = {"deliveryMode": PERSISTENT, "timestamp": True}
    operations = {
        "receiveTariffChanged": _operation(
            "receive", "tariffQueue", TariffChanged, "Upload tariff revisions to TRACE.", {"ack": True}
        ),
        "deadLetterTariffChanged": _operation(
            "send",
            "deadLetters",
            TariffChanged,
            "Set aside tariff changes that cannot be uploaded, with their original properties.",
            {"deliveryMode": PERSISTENT},
        ),
    }
    for event in PUBLISHED_EVENTS:
        operations[f"send{event.__name__}"] = _operation(
            "send", _key(event), event, _summary(event), published
        )
    return operations


def _message(event: Event) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": event.event_type,
        "title": _title(event),
        "summary": _summary(event),
        "description": _CONSUMED_PROPERTIES if event in CONSUMED_EVENTS else _PUBLISHED_PROPERTIES,
        "contentType": CONTENT_TYPE,
        "payload": {"schemaFormat": SCHEMA_FORMAT, "schema": {"$ref": f"./{schema_file(event)}"}},
        "bindings": {
            "amqp": {
                "contentEncoding": CONTENT_ENCODING,
                "messageType": event.event_type,
                "bindingVersion": AMQP_BINDING,
            }
        },
    }
    if event in (TariffUploaded, TariffRejected):
        message["correlationId"] = {
            "description": "The `id` of the tariff-changed event this answers.",
            "location": "$message.payload#/data/source_event_id",
        }
    return message


def document() -> dict[str, Any]:
    """The whole AsyncAPI document as plain data."""
    events = (*CONSUMED_EVENTS, *PUBLISHED_EVENTS)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "trace-bridge",
            "version": __version__,
            "description": (
                "Moves energy-tariff events between RabbitMQ and the TRACE platform: uploads "
                "tariff revisions and answers each with an outcome event, and publishes TRACE "
                "CRM leads. Every message is a CloudEvents 1.0 event in structured JSON mode. "
                "Exchange, queue and routing-key names are defaults a deployment can change."
            ),
            "license": {"name": "Apache-2.0"},
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "rabbitmq": {
                "host": "localhost:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "The deployment's RabbitMQ broker (local default shown).",
            }
        },
        "channels": {**{_key(event): _event_channel(event) for event in events}, **_queue_channels()},
        "operations": _operations(),
        "components": {"messages": {_key(event): _message(event) for event in events}},
    }


def render() -> str:
    """The document as YAML, byte-for-byte stable for equal input."""
    return yaml.safe_dump(document(), sort_keys=False, allow_unicode=True, width=100)
