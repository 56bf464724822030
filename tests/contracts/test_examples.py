"""The committed examples are valid for both the JSON Schemas and the Python models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import orjson
import pytest
from jsonschema import Draft202012Validator

from contracts import EVENT_TYPES, Product, TariffChanged, parse_event
from contracts.export import DEFAULT_DIR
from contracts.routing import PUBLISHED_EVENTS
from contracts.schema import schema_file
from tests.contracts.helpers import EXAMPLE_FILES, EXAMPLES_DIR


def _schema_for(event_type: str) -> dict[str, Any]:
    path = DEFAULT_DIR / schema_file(EVENT_TYPES[event_type])
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


@pytest.fixture(params=EXAMPLE_FILES, ids=lambda path: path.stem)
def example_file(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


def test_every_event_type_and_product_has_an_example() -> None:
    names = {path.name for path in EXAMPLE_FILES}
    for event_type in EVENT_TYPES:
        assert any(name.startswith(f"{event_type}.") for name in names), event_type
    for product in get_args(Product):
        assert f"trace.tariff.changed.v1.{product}.json" in names


def test_example_is_named_after_its_type(example_file: Path) -> None:
    event_type = json.loads(example_file.read_bytes())["type"]
    assert example_file.name.startswith(f"{event_type}.")


def test_example_validates_against_its_schema_file(example_file: Path) -> None:
    document = json.loads(example_file.read_bytes())
    validator = Draft202012Validator(
        _schema_for(document["type"]), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(document)]
    assert errors == []


def test_example_parses_with_its_model_and_parse_event(example_file: Path) -> None:
    raw = example_file.read_bytes()
    model = EVENT_TYPES[json.loads(raw)["type"]]
    parsed = model.from_json(raw)
    assert parse_event(raw) == parsed
    assert type(parse_event(raw)) is model


def test_tariff_example_product_matches_its_file_name() -> None:
    for product in get_args(Product):
        raw = (EXAMPLES_DIR / f"trace.tariff.changed.v1.{product}.json").read_bytes()
        event = parse_event(raw)
        assert isinstance(event, TariffChanged)
        assert event.data.offer.product == product


@pytest.mark.parametrize("event", PUBLISHED_EVENTS, ids=lambda event: event.event_type)
def test_published_example_is_exactly_what_the_bridge_serializes(event: Any) -> None:
    raw = (EXAMPLES_DIR / f"{event.event_type}.json").read_bytes()
    assert orjson.loads(event.from_json(raw).to_json()) == orjson.loads(raw)
