"""JSON Schema (draft 2020-12) documents of the events, for consumers in other languages."""

from __future__ import annotations

from typing import Any, Final

from pydantic.json_schema import JsonSchemaMode

from contracts.cloudevents import CloudEvent
from contracts.routing import CONSUMED_EVENTS

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_FORMAT: Final = "application/schema+json;version=draft-2020-12"
"""AsyncAPI `schemaFormat` of these documents."""
BASE_URL: Final = "https://trace-bridge.dev/schemas/"


def schema_file(event: type[CloudEvent[Any]]) -> str:
    """Path of the event's schema, relative to the contracts directory."""
    return f"schemas/{event.event_type}.json"


def event_schema(event: type[CloudEvent[Any]]) -> dict[str, Any]:
    """The schema of a whole event: envelope and data.

    A consumed event is described as the bridge validates it (what a publisher may send);
    a published one as the bridge serializes it (what a consumer will receive).
    """
    mode: JsonSchemaMode = "validation" if event in CONSUMED_EVENTS else "serialization"
    schema = event.model_json_schema(mode=mode)
    return {"$schema": DIALECT, "$id": f"{BASE_URL}{event.event_type}.json", **schema}
