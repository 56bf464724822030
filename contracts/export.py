"""Writes the generated contract artefacts: one JSON Schema per event and the AsyncAPI file.

The artefacts are committed so other teams can read them without running Python; a test
fails when they differ from what the models produce.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import orjson

from contracts import asyncapi
from contracts.events import EVENT_CLASSES
from contracts.schema import event_schema, schema_file

DEFAULT_DIR: Final = Path(__file__).parent
"""The installed `contracts/` directory, where the committed artefacts live."""
ASYNCAPI_FILE: Final = "asyncapi.yaml"


def _render() -> dict[str, bytes]:
    files = {
        schema_file(event): orjson.dumps(
            event_schema(event), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
        )
        + b"\n"
        for event in EVENT_CLASSES
    }
    files[ASYNCAPI_FILE] = asyncapi.render().encode()
    return files


def export(target_dir: Path) -> list[Path]:
    """Write every artefact below `target_dir` and return the written paths."""
    written = []
    for relative, content in _render().items():
        path = target_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    return written
