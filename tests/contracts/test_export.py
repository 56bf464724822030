"""The committed schemas and AsyncAPI document are current, valid and self-consistent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
import yaml
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from contracts import EVENT_TYPES
from contracts.export import DEFAULT_DIR, export
from service import __version__
from service.cli import contracts_cmd

REGENERATE = "generated contract files are stale: run `trace-bridge contracts export` and commit"


def _load_asyncapi(directory: Path = DEFAULT_DIR) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((directory / "asyncapi.yaml").read_text(encoding="utf-8"))
    return document


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def _pointer(document: Any, pointer: str) -> Any:
    node = document
    for part in pointer.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_committed_artefacts_equal_a_fresh_export(tmp_path: Path) -> None:
    written = export(tmp_path)
    assert {path.relative_to(tmp_path).as_posix() for path in written} == {
        *(f"schemas/{event_type}.json" for event_type in EVENT_TYPES),
        "asyncapi.yaml",
    }
    for path in written:
        committed = DEFAULT_DIR / path.relative_to(tmp_path)
        assert committed.is_file(), f"{committed} is missing; {REGENERATE}"
        assert committed.read_bytes() == path.read_bytes(), f"{committed} differs; {REGENERATE}"
    stale = {p.name for p in (DEFAULT_DIR / "schemas").iterdir()} - {p.name for p in written}
    assert not stale, f"{sorted(stale)} no longer generated; delete them"


def test_export_is_deterministic(tmp_path: Path) -> None:
    first = {path.name: path.read_bytes() for path in export(tmp_path / "a")}
    second = {path.name: path.read_bytes() for path in export(tmp_path / "b")}
    assert first == second
    assert all(content.endswith(b"\n") for content in first.values())


def test_schemas_are_draft_2020_12_with_id_and_title() -> None:
    for event_type in EVENT_TYPES:
        schema = json.loads((DEFAULT_DIR / "schemas" / f"{event_type}.json").read_bytes())
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"].endswith(f"/{event_type}.json")
        assert schema["title"] == EVENT_TYPES[event_type].__name__
        assert schema["description"]
        assert schema["properties"]["type"]["const"] == event_type


def test_asyncapi_document_is_3_0_0_and_versioned_with_the_service() -> None:
    document = _load_asyncapi()
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["version"] == __version__
    assert document["defaultContentType"] == "application/cloudevents+json"
    assert document["servers"]["rabbitmq"]["protocol"] == "amqp"
    actions = {name: operation["action"] for name, operation in document["operations"].items()}
    assert actions["receiveTariffChanged"] == "receive"
    assert {action for name, action in actions.items() if name.startswith("send")} == {"send"}


def test_every_ref_in_the_asyncapi_document_resolves() -> None:
    document = _load_asyncapi()
    refs = _refs(document)
    assert refs
    for ref in refs:
        if ref.startswith("#/"):
            assert _pointer(document, ref) is not None, ref
        else:
            target = DEFAULT_DIR / ref
            assert target.is_file(), ref
            Draft202012Validator.check_schema(json.loads(target.read_bytes()))


def test_asyncapi_amqp_bindings() -> None:
    document = _load_asyncapi()
    for name, channel in document["channels"].items():
        amqp = channel["bindings"]["amqp"]
        if amqp["is"] == "routingKey":
            assert amqp["exchange"]["type"] == "topic", name
            assert amqp["exchange"]["durable"] is True, name
        else:
            assert amqp["queue"]["x-queue-type"] == "quorum", name
            assert amqp["queue"]["durable"] is True, name
    for name, message in document["components"]["messages"].items():
        assert message["payload"]["schemaFormat"] == "application/schema+json;version=draft-2020-12"
        assert message["bindings"]["amqp"]["messageType"] == message["name"], name
        assert message["bindings"]["amqp"]["contentEncoding"] == "utf-8", name
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert {"trace-bridge.tariffs.dlq", "tariff.changed.{product}", "lead.created"} <= addresses


def test_cli_export_writes_and_prints_every_path(tmp_path: Path) -> None:
    cli = typer.Typer()
    cli.add_typer(contracts_cmd.app, name="contracts")
    result = CliRunner().invoke(cli, ["contracts", "export", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    printed = result.output.split()
    assert len(printed) == len(EVENT_TYPES) + 1
    assert all(Path(line).is_file() and Path(line).is_relative_to(tmp_path) for line in printed)
