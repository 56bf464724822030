"""Helpers of the contract tests: the committed examples and JSON mutation."""

from __future__ import annotations

import json
from typing import Any

from contracts.export import DEFAULT_DIR

EXAMPLES_DIR = DEFAULT_DIR / "examples"
EXAMPLE_FILES = sorted(EXAMPLES_DIR.glob("*.json"))
DELETE = object()
"""Sentinel for `mutated`: remove the key instead of setting it."""

JsonDict = dict[str, Any]
Location = tuple[str | int, ...]


def load_example(name: str) -> JsonDict:
    """A fresh copy of one committed example, safe to mutate."""
    loaded: JsonDict = json.loads((EXAMPLES_DIR / name).read_text(encoding="utf-8"))
    return loaded


def mutated(document: JsonDict, path: Location, value: object) -> JsonDict:
    """`document` with the item at `path` replaced by `value` (or removed for `DELETE`)."""
    parent: Any = document
    for step in path[:-1]:
        parent = parent[step]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document
