"""State-store fixtures: a fresh SQLite file or a fresh PostgreSQL schema per test.

`state_url` and `store` are parametrized over both backends, so a test written once runs
against SQLite and PostgreSQL. The PostgreSQL server is taken from
`TRACE_BRIDGE_TEST_POSTGRES_URL` (default: the local `test` database).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from service.state import StateStore, open_store

POSTGRES_URL = os.environ.get("TRACE_BRIDGE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = {"sqlite": "sqlite_url", "postgresql": "postgres_url"}
"""Backend name (the test id) and the fixture giving its URL."""


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite state URL for a file in the test's own directory."""
    return f"sqlite:///{tmp_path / 'state.db'}"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A PostgreSQL state URL whose search_path is a new schema, dropped after the test."""
    schema = f"tb_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        yield f"{POSTGRES_URL}?search_path={schema}"
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await admin.close()


@pytest.fixture(params=list(BACKENDS))
def state_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty state store, once per backend."""
    url: str = request.getfixturevalue(BACKENDS[request.param])
    return url


@pytest.fixture
async def store(state_url: str) -> AsyncIterator[StateStore]:
    """An open, empty state store, once per backend; closed after the test."""
    opened = await open_store(state_url)
    try:
        yield opened
    finally:
        await opened.close()


@dataclass(frozen=True)
class HeldCalls:
    """`entered` is set when a held store method is called; the call goes on after `release`."""

    entered: asyncio.Event
    release: asyncio.Event


def hold_store_method(monkeypatch: pytest.MonkeyPatch, store_class: type, name: str) -> HeldCalls:
    """Make `store_class.name` wait for the test before doing its real work.

    For tests of what a cancellation does while a write is under way: the real write
    runs only once `release` is set, so the test decides where the cancellation lands.
    """
    held = HeldCalls(asyncio.Event(), asyncio.Event())
    real = getattr(store_class, name)

    async def waiting(store: StateStore, *args: Any, **kwargs: Any) -> Any:
        held.entered.set()
        await held.release.wait()
        return await real(store, *args, **kwargs)

    monkeypatch.setattr(store_class, name, waiting)
    return held
