"""The single-poller lease: exclusive across stores and processes, freed when its holder dies."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from service.state import PollerLease, StateStore, open_store
from service.state.sqlite import SqliteStore
from tests.support.tcpproxy import TcpProxy
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


async def until_acquired(lease: PollerLease, message: str) -> None:
    acquired: bool = await eventually(lease.try_acquire, message=message)
    assert acquired


@pytest.fixture
async def rival(state_url: str, store: StateStore) -> AsyncIterator[StateStore]:
    """A second store on the same database, standing in for another replica."""
    opened = await open_store(state_url)
    try:
        yield opened
    finally:
        await opened.close()


async def test_only_one_holder_at_a_time(store: StateStore, rival: StateStore) -> None:
    mine, theirs = store.poller_lease("leads"), rival.poller_lease("leads")
    assert await mine.try_acquire()
    assert await mine.try_acquire(), "acquiring again while holding is a no-op"
    assert await mine.held()
    assert not await theirs.try_acquire()
    assert not await theirs.held()
    await mine.release()
    assert not await mine.held()
    await until_acquired(theirs, "released lease was not free")
    assert not await mine.try_acquire()


async def test_names_are_independent(store: StateStore, rival: StateStore) -> None:
    assert await store.poller_lease("leads").try_acquire()
    assert await rival.poller_lease("other").try_acquire()
    assert store.poller_lease("leads") is store.poller_lease("leads")


async def test_closing_the_store_releases_its_leases(state_url: str, rival: StateStore) -> None:
    holder = await open_store(state_url)
    assert await holder.poller_lease("leads").try_acquire()
    await holder.close()
    await until_acquired(rival.poller_lease("leads"), "closed store kept its lease")


async def test_death_of_the_holding_process_frees_the_lease(state_url: str, store: StateStore) -> None:
    lease = store.poller_lease("leads")
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.state.lease_holder",
        state_url,
        "leads",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert await asyncio.wait_for(holder.stdout.readline(), timeout=30) == b"held\n"
        assert not await lease.try_acquire()
    finally:
        holder.kill()
        await holder.wait()
    await until_acquired(lease, "lease of a killed process was not freed")


async def test_sqlite_lease_is_lost_if_its_file_is_replaced(sqlite_url: str) -> None:
    store = await open_store(sqlite_url)
    try:
        assert isinstance(store, SqliteStore)
        lease = store.poller_lease("leads")
        assert await lease.try_acquire()
        (lock_file,) = Path(sqlite_url.removeprefix("sqlite:///")).parent.glob("*.leads.lock")
        lock_file.unlink()
        assert not await lease.held()
        assert await lease.try_acquire(), "a fresh lock file can be taken again"
    finally:
        await store.close()


async def test_postgres_lease_is_lost_with_its_connection(postgres_url: str) -> None:
    proxy = TcpProxy(target_port=5432)
    await proxy.start()
    holder = await open_store(postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"))
    rival = await open_store(postgres_url)
    try:
        lease = holder.poller_lease("leads")
        assert await lease.try_acquire()
        assert not await rival.poller_lease("leads").try_acquire()
        await proxy.cut()
        assert not await lease.held()
        await until_acquired(rival.poller_lease("leads"), "server kept a dead session's lock")
    finally:
        await proxy.stop()
        await holder.close()
        await rival.close()
