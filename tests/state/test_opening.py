"""Opening stores: URLs, idempotent schema creation, newer schemas, an unreachable database."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from service.state import (
    ClaimStatus,
    SchemaVersionError,
    StateError,
    StateUnavailableError,
    StateUrlError,
    open_store,
)
from service.state.sqlite import SqliteStore
from tests.support.stores import POSTGRES_URL
from tests.support.tcpproxy import TcpProxy

pytestmark = pytest.mark.integration


async def execute(url: str, sql: str) -> None:
    """Run one statement with the raw driver, behind the store's back."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            db.execute(sql)
        return
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def test_reopening_keeps_the_data(state_url: str) -> None:
    first = await open_store(state_url)
    await first.claim("t", 1, "a", 60)
    await first.set_cursor("c", "1")
    await first.close()
    second = await open_store(state_url)
    try:
        assert (await second.claim("t", 1, "b", 60)).status is ClaimStatus.BUSY
        assert await second.get_cursor("c") == "1"
    finally:
        await second.close()


async def test_replicas_may_create_the_schema_at_the_same_time(state_url: str) -> None:
    stores = await asyncio.gather(*(open_store(state_url) for _ in range(4)))
    try:
        await asyncio.gather(*(opened.ping() for opened in stores))
    finally:
        await asyncio.gather(*(opened.close() for opened in stores))


async def test_a_schema_from_a_newer_release_is_refused(state_url: str) -> None:
    await (await open_store(state_url)).close()
    await execute(
        state_url,
        "INSERT INTO trace_bridge_schema_version (version, applied_at) VALUES (99, CURRENT_TIMESTAMP)",
    )
    with pytest.raises(SchemaVersionError, match="version 99"):
        await open_store(state_url)


@pytest.mark.parametrize(
    "url",
    [
        "mysql://localhost/db",
        "state.db",
        "sqlite:///:memory:",
        "sqlite:///",
        "sqlite:///no/such/dir/state.db",
    ],
)
async def test_unusable_urls_are_refused(url: str) -> None:
    with pytest.raises(StateUrlError):
        await open_store(url)


async def test_sqlite_url_names_a_relative_or_absolute_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    relative = await open_store("sqlite:///relative.db")
    absolute = await open_store(f"sqlite:///{tmp_path / 'absolute.db'}")
    await relative.close()
    await absolute.close()
    assert isinstance(relative, SqliteStore)
    assert {path.name for path in tmp_path.glob("*.db")} == {"relative.db", "absolute.db"}


async def test_postgres_without_the_schema_is_a_permanent_error() -> None:
    with pytest.raises(StateError, match="search_path") as caught:
        await open_store(f"{POSTGRES_URL}?search_path=tb_does_not_exist")
    assert not isinstance(caught.value, StateUnavailableError)


async def test_unreachable_postgres_is_unavailable() -> None:
    proxy = TcpProxy(target_port=5432)
    await proxy.start()
    port = proxy.port
    await proxy.stop()
    with pytest.raises(StateUnavailableError):
        await open_store(f"postgresql://postgres@127.0.0.1:{port}/test")


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    tcp = TcpProxy(target_port=5432)
    await tcp.start()
    yield tcp
    await tcp.stop()


async def test_losing_postgres_is_unavailable_not_fatal(postgres_url: str, proxy: TcpProxy) -> None:
    store = await open_store(postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"))
    try:
        await store.ping()
        await proxy.stop()
        with pytest.raises(StateUnavailableError):
            await store.claim("t", 1, "a", 60)
        with pytest.raises(StateUnavailableError):
            await store.ping()
    finally:
        await store.close()
